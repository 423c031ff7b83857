// Sign in: a vendor user with username and password, or a customer's administrator with the customer token.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';

export function Login({ onLogin }: { onLogin: () => void }) {
  const [mode, setMode] = useState<'vendor' | 'customer'>('vendor');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      if (mode === 'vendor') await api.post('/login', { username: form.get('username'), password: form.get('password'), cookie: true });
      else await api.post('/login/customer', { token: form.get('token') });
      onLogin();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'the hub cannot be reached; try again');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <h1>Skiff</h1>
      <div role="tablist" aria-label="Who signs in">
        <button type="button" role="tab" aria-selected={mode === 'vendor'} onClick={() => setMode('vendor')}>
          User account
        </button>
        <button type="button" role="tab" aria-selected={mode === 'customer'} onClick={() => setMode('customer')}>
          Customer portal
        </button>
      </div>
      <form onSubmit={(e) => void submit(e)} aria-label={mode === 'vendor' ? 'Vendor sign-in' : 'Customer sign-in'}>
        {mode === 'vendor' ? (
          <>
            <label>
              User name <input name="username" autoComplete="username" required autoFocus />
            </label>
            <label>
              Password <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        ) : (
          <label>
            Customer token <input name="token" type="password" autoComplete="off" required autoFocus />
          </label>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
