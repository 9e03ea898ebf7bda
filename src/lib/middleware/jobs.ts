// Starts the server's background jobs with the first request.
import { defineMiddleware } from 'astro:middleware';
import { getDb } from '../../server/db.ts';
import { startJobs } from '../../server/jobs.ts';

export const jobs = defineMiddleware((_context, next) => {
  startJobs(getDb());
  return next();
});
