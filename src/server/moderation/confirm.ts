// Every action of the admin console carries a ticked confirmation box: a slip of the finger changes nothing.
import { z } from 'zod';

export const confirm = z.literal('on', { error: 'moderation.confirmRequired' });
export const confirmOnly = z.object({ confirm });

/** A reason the audit log keeps (and, for a rejection, the owner reads). */
export const reason = z.string({ error: 'moderation.reasonRequired' }).trim().min(2, 'moderation.reasonRequired').max(500, 'moderation.reasonTooLong');
