// The customer portal: its own navigation (instances, releases, maintenance windows, uploads, users) for a customer
// user or the customer's token; a page offers only what the caller's customer role may do (the API refuses the rest).
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { PortalMe } from '../portal-api.ts';
import { usePolled } from '../poll.ts';
import { InstanceTable } from './fleet.tsx';
import { PortalReleases } from './portal-releases.tsx';
import { PortalUploads } from './portal-uploads.tsx';
import { PortalUsers } from './portal-users.tsx';
import { PortalWindows } from './portal-windows.tsx';

interface PortalPage {
  path: string;
  title: string;
  adminOnly: boolean;
  render: (customer: string, isAdmin: boolean, self: string | null) => React.ReactNode;
}

const PAGES: PortalPage[] = [
  { path: 'instances', title: 'Instances', adminOnly: false, render: () => <PortalInstances /> },
  { path: 'releases', title: 'Releases & downloads', adminOnly: false, render: (c, admin) => <PortalReleases customer={c} canApprove={admin} /> },
  { path: 'windows', title: 'Maintenance windows', adminOnly: false, render: (c, admin) => <PortalWindows customer={c} canEdit={admin} /> },
  { path: 'uploads', title: 'Upload', adminOnly: true, render: () => <PortalUploads /> },
  { path: 'users', title: 'Users', adminOnly: false, render: (c, admin, self) => <PortalUsers customer={c} canManage={admin} self={self} /> },
];

function usePortalPath(): string {
  const read = () => location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const on = () => setPath(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return path;
}

export function Portal({ me }: { me: PortalMe }) {
  const isAdmin = (me.role ?? 'customer-admin') === 'customer-admin';
  const pages = PAGES.filter((p) => isAdmin || !p.adminOnly);
  const path = usePortalPath();
  const page = pages.find((p) => p.path === path) ?? pages[0]!;
  return (
    <section className="portal">
      <h1>
        {me.customer} <span className="tag">{me.username ? `${me.username}, ${me.role}` : 'customer token'}</span>
      </h1>
      <nav aria-label="Portal" className="subnav">
        {pages.map((p) => (
          <a key={p.path} href={`#/${p.path}`} aria-current={p === page ? 'page' : undefined}>
            {p.title}
          </a>
        ))}
      </nav>
      {page.render(me.customer, isAdmin, me.username ?? null)}
    </section>
  );
}

function PortalInstances() {
  const load = useCallback(() => api.get('/instances').then((r) => r.instances), []);
  const { data, error } = usePolled(load);
  return (
    <>
      <h2>Your instances</h2>
      {error && <p role="alert" className="error">{error}</p>}
      {data ? <InstanceTable instances={data} showCustomer={false} /> : !error && <p>Loading…</p>}
    </>
  );
}
