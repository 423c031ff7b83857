// `skiff customer user add|list|remove`: the people who sign in to the customer portal, each with a customer role
// (added to `skiff customer`; a vendor admin's token, or a customer-admin's session for its own customer).
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };
interface CustomerUser {
  username: string;
  role: string;
  createdAt: string;
}
const ROLES = ['customer-admin', 'customer-viewer'];
const q = encodeURIComponent;

/** The password from stdin (first line), so it never shows in a process list or shell history. */
async function passwordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  if (password.length < 12) throw new SkiffError('USAGE', 'the password on stdin is shorter than 12 characters: pipe a longer one, or leave out --password-stdin for a generated one');
  return password;
}

export function addCustomerUserCommands(customer: Command, out: Output): void {
  const user = customer.command('user').description("the customer's portal users and their roles");

  withHubOptions(user.command('add <customer> <username>'))
    .description('create a customer user; without --password-stdin a password is generated and printed once')
    .requiredOption('--role <role>', 'customer-admin (approves, sets windows, manages users) or customer-viewer (reads only)')
    .option('--password-stdin', 'read the password from stdin')
    .action((name: string, username: string, o: HubOpts & { role: string; passwordStdin?: boolean }) =>
      runAction(async () => {
        if (!ROLES.includes(o.role)) throw new SkiffError('USAGE', `--role "${o.role}" is not customer-admin or customer-viewer`);
        const password = o.passwordStdin ? await passwordFromStdin() : randomBytes(18).toString('base64url');
        const u = await clientFrom(o).post<CustomerUser>(`/customers/${q(name)}/users`, { username, password, role: o.role });
        out.write(`${u.username}\t${u.role}\tcustomer ${name}\n`);
        if (!o.passwordStdin) out.write(`password: ${password}   (shown once)\n`);
      }),
    );

  withHubOptions(user.command('list <customer>'))
    .description("list the customer's users")
    .option('--json', 'print JSON')
    .action((name: string, o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const { users } = await clientFrom(o).get<{ users: CustomerUser[] }>(`/customers/${q(name)}/users`);
        if (o.json) return void out.write(JSON.stringify(users, null, 2) + '\n');
        out.write(users.length === 0 ? `customer ${name} has no users\n` : users.map((u) => `${u.username}\t${u.role}\t${u.createdAt}\n`).join(''));
      }),
    );

  withHubOptions(user.command('remove <customer> <username>'))
    .description('remove a customer user; its sessions end at once')
    .action((name: string, username: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).request('DELETE', `/customers/${q(name)}/users/${q(username)}`);
        out.write(`removed ${username} from customer ${name}\n`);
      }),
    );
}
