// The portal's users: who signs in for this customer and with which role; a customer-admin adds and removes them
// (not itself, so that a customer does not lock its last admin out by a slip).
import { useCallback, useState, type FormEvent } from 'react';
import { api, ago } from '../api.ts';
import { errorText } from '../portal-api.ts';
import { usePolled } from '../poll.ts';


export function PortalUsers({
  customer,
  canManage,
  self,
}: {
  customer: string;
  canManage: boolean;
  self: string | null;
}) {
  const load = useCallback(
    () => api.get('/customers/:customer/users', { params: { customer } }).then((r) => r.users),
    [customer],
  );
  const { data, error, reload } = usePolled(load);
  const [problem, setProblem] = useState('');
  const add = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setProblem('');
    try {
      await api.post(
        '/customers/:customer/users',
        { username: String(f.get('username')), password: String(f.get('password')), role: f.get('role') === 'customer-admin' ? 'customer-admin' : 'customer-viewer' },
        { params: { customer } },
      );
      form.reset();
      reload();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  const remove = async (username: string) => {
    setProblem('');
    try {
      await api.del('/customers/:customer/users/:username', { params: { customer, username } });
      reload();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <>
      <h2>Users</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                {canManage && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {data.map((u) => (
                <tr key={u.username}>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>{ago(u.createdAt)}</td>
                  {canManage && (
                    <td>
                      {u.username !== self && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => void remove(u.username)}
                          aria-label={`Remove ${u.username}`}
                        >
                          Remove
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {data.length === 0 && <p>No users yet.</p>}
        </div>
      )}
      {canManage && (
        <form onSubmit={(e) => void add(e)} aria-label="Add a user" className="card row">
          <label>
            User name <input name="username" required autoComplete="off" />
          </label>
          <label>
            Password{' '}
            <input name="password" type="password" minLength={12} required autoComplete="new-password" />
          </label>
          <label>
            Role
            <select name="role" defaultValue="customer-viewer">
              <option value="customer-viewer">customer-viewer (reads only)</option>
              <option value="customer-admin">customer-admin</option>
            </select>
          </label>
          <button type="submit">Add user</button>
        </form>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </>
  );
}
