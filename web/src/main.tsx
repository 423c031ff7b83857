// The Skiff web console (vendor users) and customer portal (customer tokens), one single-page app on the public API.
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, type Me } from './api.ts';
import { Shell } from './shell.tsx';
import { Login } from './pages/login.tsx';
import './styles.css';

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(() => {
    api.get('/session').then(
      (s) => setMe(s.kind === 'user' || s.kind === 'customer' ? s : null),
      () => setMe(null),
    );
  }, []);
  useEffect(refresh, [refresh]);
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <Login onLogin={refresh} />;
  return <Shell me={me} onLogout={() => setMe(null)} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
