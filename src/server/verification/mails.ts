// What a company's owner hears when an administrator decides its verification request.
import { decisionMail } from '../moderation/mails.ts';

export const verificationApprovedMail = decisionMail('verification-approved', {
  subject: 'verification.mail.approvedSubject',
  body: 'verification.mail.approvedBody',
  link: 'verification.mail.open',
});
export const verificationRejectedMail = decisionMail('verification-rejected', {
  subject: 'verification.mail.rejectedSubject',
  body: 'verification.mail.rejectedBody',
  link: 'verification.mail.open',
});
