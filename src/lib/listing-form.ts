// The posting and the editing page share one flow: a POST saves the listing and goes back to the dashboard, or
// comes back with everything typed, each field's error and the images already uploaded; either way the form is then
// drawn for the chosen category.
import type { AstroGlobal } from 'astro';
import { suggestCategories } from '../server/category-suggest/index.ts';
import { config } from '../server/config.ts';
import type { Category } from '../server/taxonomy/taxonomy.ts';
import { InvalidError } from '../server/errors.ts';
import { getListingForm, readListingForm, saveListingForm, type ListingFormData } from '../server/listings/form.ts';
import type { StoredImage } from '../server/media/index.ts';
import { describeUploadError } from '../server/media/upload.ts';
import { formErrors, readPosted, type FormErrors } from './form.ts';
import { load, loadAsync } from './route.ts';

export interface ListingFormView {
  form: ReturnType<typeof getListingForm>;
  values: Record<string, string>;
  errors: FormErrors;
  keptImages: StoredImage[];
  removeImages: string[];
  firstImage: string | null;
  /** The category step's suggestions from the title typed there (the first one preselected, any can be changed). */
  suggestions: Category[];
}

/** `listingId` null posts a new listing; after a save the dashboard says `done`. */
export async function listingFormPage(
  Astro: AstroGlobal,
  userId: string,
  listingId: number | null,
  done: 'created' | 'updated',
): Promise<ListingFormView | Response> {
  const { t } = Astro.locals;
  let posted: ListingFormData | null = null;
  let errors: FormErrors = {};
  let keptImages: StoredImage[] = [];
  if (Astro.request.method === 'POST') {
    const submission = (posted = readListingForm(await readPosted(Astro.request)));
    const result = await loadAsync((db, now) => saveListingForm(db, userId, listingId, submission, config().dataDir, now));
    if (result instanceof Response) return result;
    if (result.ok) {
      // A listing that waits for a moderator is shown on its own tab, which says why.
      if (result.listing.status === 'pending') return Astro.redirect('/dashboard?tab=review&done=pending', 303);
      return Astro.redirect(`/dashboard?done=${done}`, 303);
    }
    Astro.response.status = 422;
    errors = formErrors(t, new InvalidError('invalid listing', result.fields, result.params)) ?? {};
    if (result.uploadError) errors.images = describeUploadError(t, result.uploadError);
    keptImages = result.keptImages;
  }
  const categoryRef = posted?.values.category ?? Astro.url.searchParams.get('category');
  const form = load((db) => getListingForm(db, userId, listingId, categoryRef || null));
  if (form instanceof Response) return form;
  // A title typed on the category step asks for suggestions there, and is carried into the form's title field.
  const typedTitle = (Astro.url.searchParams.get('title') ?? '').trim().slice(0, 60);
  const onCategoryStep = !form.category || Astro.url.searchParams.get('step') === 'category';
  let suggestions: Category[] = [];
  if (!posted && typedTitle && onCategoryStep) {
    const found = await loadAsync((db, now) => suggestCategories(db, typedTitle, now));
    if (found instanceof Response) return found;
    suggestions = found.map((s) => s.category);
  }
  return {
    suggestions,
    form,
    values: posted ? posted.values : { ...form.values, ...(typedTitle && listingId === null ? { title: typedTitle } : {}) },
    errors,
    keptImages,
    removeImages: posted?.choice.remove ? [...posted.choice.remove] : [],
    firstImage: posted?.choice.first ?? null,
  };
}
