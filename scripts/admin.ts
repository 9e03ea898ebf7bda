// `npm run admin -- <command> <argument>`: the operator's tasks no page offers.
//   verify-company <slug>     mark a company as verified (the badge on its pages and listings)
//   unverify-company <slug>   take the mark away
//   make-admin <email>        give an account the administrator role
import { parseArgs } from 'node:util';
import { makeAdmin } from '../src/server/admin.ts';
import { setCompanyVerified } from '../src/server/companies/write.ts';
import { getDb } from '../src/server/db.ts';
import { runCli, UsageError } from './lib/cli.ts';

const USAGE = 'npm run admin -- verify-company <slug> | unverify-company <slug> | make-admin <email>';

runCli(() => {
  let positionals: string[];
  try {
    positionals = parseArgs({ allowPositionals: true, options: {} }).positionals;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: ${USAGE}`);
  }
  const [command, arg, ...rest] = positionals;
  if (!command || !arg || rest.length > 0) throw new UsageError(`Usage: ${USAGE}`);
  const db = getDb();
  switch (command) {
    case 'verify-company':
    case 'unverify-company': {
      const verified = command === 'verify-company';
      const company = setCompanyVerified(db, arg, verified, Date.now());
      if (!company) throw new UsageError(`No company has the slug "${arg}" (it is the last part of /company/<slug>).`);
      console.log(`${company.name} (${company.slug}) is ${verified ? 'now verified' : 'no longer verified'}.`);
      return;
    }
    case 'make-admin':
      if (!makeAdmin(db, arg)) throw new UsageError(`No account is registered with the email "${arg}".`);
      console.log(`${arg} is now an administrator.`);
      return;
    default:
      throw new UsageError(`Unknown command "${command}".\nUsage: ${USAGE}`);
  }
});
