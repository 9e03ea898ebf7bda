// `npm run admin -- <command> <argument>`: the operator's tasks no page offers.
//   verify-company <slug>     mark a company as verified without a licence (audited; the console's
//                             /admin/verifications is the way with evidence)
//   unverify-company <slug>   take the mark away
//   make-admin <email>        give an account the administrator role
//   held-inquiries            list inquiries held for review (the same text sent to many companies)
//   release-inquiry <id>      deliver a held inquiry; reject-inquiry <id> deletes it
import { parseArgs } from 'node:util';
import { makeAdmin } from '../src/server/admin.ts';
import { heldInquiries, reviewHeldInquiry } from '../src/server/inquiries/send.ts';
import { setCompanyVerified } from '../src/server/companies/write.ts';
import { getDb } from '../src/server/db.ts';
import { runCli, UsageError } from './lib/cli.ts';

const USAGE =
  'npm run admin -- verify-company <slug> | unverify-company <slug> | make-admin <email> | held-inquiries | release-inquiry <id> | reject-inquiry <id>';

runCli(() => {
  let positionals: string[];
  try {
    positionals = parseArgs({ allowPositionals: true, options: {} }).positionals;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: ${USAGE}`);
  }
  const [command, arg = '', ...rest] = positionals;
  if (!command || (!arg && command !== 'held-inquiries') || rest.length > 0) throw new UsageError(`Usage: ${USAGE}`);
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
    case 'held-inquiries':
      for (const h of heldInquiries(db)) {
        console.log(`${h.id}\t${new Date(h.createdAt).toISOString()}\tcompany ${h.companyId}\t${h.askerEmail}\t${h.listingTitle}`);
      }
      return;
    case 'release-inquiry':
    case 'reject-inquiry': {
      const release = command === 'release-inquiry';
      if (!/^[1-9]\d{0,14}$/.test(arg) || !reviewHeldInquiry(db, Number(arg), release, Date.now())) {
        throw new UsageError(`No inquiry ${arg} is held for review (npm run admin -- held-inquiries lists them).`);
      }
      console.log(`Inquiry ${arg} ${release ? 'was delivered' : 'was deleted'}.`);
      return;
    }
    default:
      throw new UsageError(`Unknown command "${command}".\nUsage: ${USAGE}`);
  }
});
