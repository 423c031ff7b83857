// The frame around every page: navigation for what the caller's role may see, the hash route, sign-out. On a narrow
// screen the navigation folds behind a menu button (Escape closes it and gives the focus back to the button).
import { useEffect, useRef, useState } from 'react';
import { api, type Me, type Scope } from './api.ts';
import { Apps } from './pages/apps.tsx';
import { Audit } from './pages/audit.tsx';
import { Customers } from './pages/customers.tsx';
import { Fleet } from './pages/fleet.tsx';
import { Portal } from './pages/portal.tsx';
import { Rollouts } from './pages/rollouts.tsx';
import { Alerts } from './pages/alerts.tsx';
import { Reports } from './pages/reports.tsx';

interface Page {
  path: string;
  title: string;
  scope: Scope;
  render: (me: Extract<Me, { kind: 'user' }>) => React.ReactNode;
}

const PAGES: Page[] = [
  { path: 'fleet', title: 'Fleet', scope: 'customer:read', render: (me) => <Fleet canWrite={me.scopes.includes('customer:write')} /> },
  { path: 'apps', title: 'Apps & releases', scope: 'read', render: (me) => <Apps canPromote={me.scopes.includes('channel:write')} /> },
  { path: 'customers', title: 'Customers', scope: 'customer:read', render: (me) => <Customers canWrite={me.scopes.includes('customer:write')} /> },
  { path: 'audit', title: 'Audit log', scope: 'audit:read', render: () => <Audit /> },
  { path: 'rollouts', title: 'Rollouts', scope: 'read', render: (me) => <Rollouts canCommand={me.scopes.includes('channel:write')} /> },
  { path: 'alerts', title: 'Alerts', scope: 'customer:read', render: () => <Alerts /> },
  { path: 'reports', title: 'Delivery reports', scope: 'customer:read', render: () => <Reports /> },
];

function useHash(): string {
  const [hash, setHash] = useState(() => location.hash.replace(/^#\/?/, ''));
  useEffect(() => {
    const on = () => setHash(location.hash.replace(/^#\/?/, ''));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** The menu's state on a narrow screen: open moves the focus to the first link; Escape or a new page closes it. */
function useMenu(hash: string) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const nav = useRef<HTMLElement>(null);
  useEffect(() => setOpen(false), [hash]);
  useEffect(() => {
    if (!open) return;
    nav.current?.querySelector('a')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [open]);
  return { open, toggle: () => setOpen(!open), close: () => setOpen(false), button, nav };
}

export function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const hash = useHash();
  const menu = useMenu(hash);
  const logout = () => void api.post('/logout').finally(onLogout);
  const pages = me.kind === 'user' ? PAGES.filter((p) => me.scopes.includes(p.scope)) : [];
  const page = pages.find((p) => p.path === hash.split('/')[0]) ?? pages[0];
  const who = me.kind === 'user' ? `${me.username} (${me.role})` : me.customer;
  return (
    <div className="shell">
      <header>
        <strong className="brand">Skiff</strong>
        {pages.length > 0 && (
          <button type="button" className="menu-button secondary" aria-expanded={menu.open} aria-controls="main-nav" ref={menu.button} onClick={menu.toggle}>
            Menu
          </button>
        )}
        <nav aria-label="Main" id="main-nav" ref={menu.nav} className={menu.open ? 'open' : undefined}>
          {pages.map((p) => (
            <a key={p.path} href={`#/${p.path}`} aria-current={p === page ? 'page' : undefined} onClick={menu.close}>
              {p.title}
            </a>
          ))}
        </nav>
        <span className="who" title={who}>
          {who}
        </span>
        <button type="button" onClick={logout}>
          Sign out
        </button>
      </header>
      <main>{me.kind === 'customer' ? <Portal me={me} /> : page ? page.render(me) : <p>Your role has no pages here.</p>}</main>
    </div>
  );
}
