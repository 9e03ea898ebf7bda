// The JSON API's answers as zod schemas: the types the handlers return are inferred from them, and the OpenAPI
// document (openapi.ts) is generated from them, so a handler that answers something else fails to type-check and a
// document that drifts fails the contract test. `.meta({ id })` names a schema in the document's components.
import { z } from 'zod';
import { INQUIRY_KINDS, LISTING_KINDS, LISTING_STATUSES } from '../../../db/schema.ts';

const names = z.object({ zh: z.string(), en: z.string() });
const place = z.object({ id: z.int(), slug: z.string(), name: z.string().meta({ description: "In the reader's language (Accept-Language)" }) });

export const priceJsonSchema = z
  .object({
    type: z.enum(['single', 'range', 'negotiable']),
    min: z.number().nullable().meta({ description: 'Yuan per unit; null when negotiable' }),
    max: z.number().nullable(),
    currency: z.string().meta({ example: 'CNY' }),
    unit: z.string().meta({ description: 'The unit after 元/, e.g. 吨' }),
  })
  .meta({ id: 'Price' });

export const imageJsonSchema = z
  .object({
    id: z.string().meta({ description: "The image's content hash (SHA-256), its id in the images endpoints" }),
    url: z.url(),
    width: z.int(),
    height: z.int(),
    srcset: z.string(),
  })
  .meta({ id: 'Image' });

export const noticeSchema = z
  .object({ field: z.string(), message: z.string() })
  .meta({ id: 'Notice', description: 'What the API decided about a value, e.g. which region a bare name was read as' });

export const listingJsonSchema = z
  .object({
    id: z.int(),
    url: z.url(),
    kind: z.enum(LISTING_KINDS),
    title: z.string(),
    description: z.string(),
    category: place,
    region: place,
    price: priceJsonSchema,
    quantity: z.number().nullable(),
    quantityUnit: z.string(),
    moq: z.number().nullable(),
    attributes: z.record(z.string(), z.union([z.string(), z.number()])),
    status: z.enum(LISTING_STATUSES).meta({ description: 'expired also for an active listing past its expiry' }),
    publishedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
    company: z.object({ slug: z.string(), name: z.string(), verified: z.boolean(), url: z.url() }),
    images: z.array(imageJsonSchema),
  })
  .meta({ id: 'Listing' });
export type ListingJson = z.infer<typeof listingJsonSchema>;

export const listingAnswerSchema = listingJsonSchema
  .extend({ notices: z.array(noticeSchema).optional() })
  .meta({ id: 'ListingAnswer' });
export type ApiListingAnswer = z.infer<typeof listingAnswerSchema>;
export type ApiNotice = z.infer<typeof noticeSchema>;

export const ownListingSchema = listingJsonSchema
  .extend({ ref: z.string().nullable().meta({ description: 'Your own reference (bulk ref or CSV 编号), null if none' }) })
  .meta({ id: 'OwnListing' });

export const mineAnswerSchema = z
  .object({
    items: z.array(ownListingSchema),
    cursor: z.string().nullable().meta({ description: 'Send back as cursor for the next page; null on the last page' }),
    next: z.string().nullable().meta({ description: "The next page's path, or null" }),
  })
  .meta({ id: 'OwnListingsPage' });
export type MineAnswer = z.infer<typeof mineAnswerSchema>;

export const bulkItemResultSchema = z
  .object({
    index: z.int().meta({ description: "The item's position in the request, from 0" }),
    ref: z.string().nullable(),
    status: z.enum(['created', 'updated', 'unchanged', 'error']).meta({ description: 'What this call did with the item' }),
    id: z.int().optional(),
    url: z.url().optional().meta({ description: "The listing's public page; it answers 404 while the listing is not active (e.g. pending review)" }),
    listingStatus: z
      .enum(LISTING_STATUSES)
      .optional()
      .meta({ description: 'The listing\'s status after the call: active (live), pending (waiting for review, in the batch batchId when it came in a bulk load), or another status an update left as it was; absent for an error' }),
    batchId: z.int().optional().meta({ description: 'The review batch the listing waits in (pending only)' }),
    errors: z.record(z.string(), z.string()).optional().meta({ description: 'Field -> message naming the value received and what is accepted' }),
    notices: z.array(noticeSchema).optional(),
  })
  .meta({ id: 'BulkItemResult' });
export type BulkItemResult = z.infer<typeof bulkItemResultSchema>;

export const bulkAnswerSchema = z
  .object({
    summary: z.object({ created: z.int(), updated: z.int(), unchanged: z.int(), error: z.int() }),
    batchId: z
      .int()
      .nullable()
      .meta({ description: "The review batch this call's new listings wait in (an unverified company's bulk load: an administrator approves it, then they go live); null when they were published at once" }),
    items: z.array(bulkItemResultSchema),
  })
  .meta({ id: 'BulkAnswer' });
export type BulkAnswer = z.infer<typeof bulkAnswerSchema>;

export const imagesAnswerSchema = z.object({ images: z.array(imageJsonSchema) }).meta({ id: 'Images' });
export type ImagesAnswer = z.infer<typeof imagesAnswerSchema>;

const regionFields = {
  id: z.int(),
  code: z.string().meta({ description: 'Official division code (GB/T 2260)' }),
  slug: z.string(),
  level: z.int().meta({ description: '1 province, 2 city, 3 county-level' }),
  name: names,
  shortName: z.string(),
};
const countySchema = z.object({ ...regionFields, children: z.array(z.object({})).max(0).meta({ description: 'Always empty: counties are the leaves' }) }).meta({ id: 'County' });
const citySchema = z.object({ ...regionFields, children: z.array(countySchema) }).meta({ id: 'City' });
const provinceSchema = z.object({ ...regionFields, children: z.array(citySchema) }).meta({ id: 'Province' });
export const regionsAnswerSchema = z.object({ regions: z.array(provinceSchema) }).meta({ id: 'Regions' });

export const attributeJsonSchema = z
  .object({
    key: z.string(),
    name: names,
    type: z.enum(['choice', 'number', 'text']),
    unit: z.string().nullable(),
    choices: z.array(z.string()).nullable(),
    required: z.boolean(),
  })
  .meta({ id: 'Attribute' });
export type AttributeJson = z.infer<typeof attributeJsonSchema>;
const subcategorySchema = z
  .object({ id: z.int(), slug: z.string(), name: names, attributes: z.array(attributeJsonSchema) })
  .meta({ id: 'Subcategory' });
const industrySchema = z
  .object({ id: z.int(), slug: z.string(), name: names, children: z.array(subcategorySchema) })
  .meta({ id: 'Industry' });
export const categoriesAnswerSchema = z.object({ categories: z.array(industrySchema) }).meta({ id: 'Categories' });
export type CategoriesAnswer = z.infer<typeof categoriesAnswerSchema>;
export type RegionsAnswer = z.infer<typeof regionsAnswerSchema>;

export const categorySuggestionSchema = z
  .object({
    id: z.int(),
    slug: z.string(),
    name: names,
    industry: z.object({ id: z.int(), slug: z.string(), name: names }),
    score: z.number().meta({ description: 'Share of the evidence, 0-1; the three add up to at most 1' }),
  })
  .meta({ id: 'CategorySuggestion' });
export const categorySuggestAnswerSchema = z
  .object({ title: z.string(), suggestions: z.array(categorySuggestionSchema) })
  .meta({ id: 'CategorySuggestions' });
export type CategorySuggestAnswer = z.infer<typeof categorySuggestAnswerSchema>;

export const inquiryJsonSchema = z
  .object({
    id: z.int(),
    kind: z.enum(INQUIRY_KINDS).meta({ description: 'inquiry (询价, on a supply listing), quote (报价, on a buying lead) or general (from the company page)' }),
    url: z.url().meta({ description: 'The thread in the inbox on the site' }),
    listing: z.object({ id: z.int(), title: z.string(), url: z.url() }).nullable().meta({ description: 'null for a general message' }),
    asker: z.object({ name: z.string(), email: z.string(), phone: z.string() }),
    terms: z.object({
      quantity: z.number().nullable(),
      quantityUnit: z.string(),
      price: z.object({
        min: z.number().nullable().meta({ description: 'Yuan' }),
        max: z.number().nullable(),
        unit: z.string(),
        negotiable: z.boolean(),
      }),
      wantedBy: z.string().nullable(),
      deliveryTime: z.string().nullable().meta({ description: 'The delivery a quote promises' }),
    }),
    unread: z.boolean(),
    archived: z.boolean(),
    createdAt: z.iso.datetime(),
    lastMessageAt: z.iso.datetime(),
    firstReplyAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Inquiry' });
export type InquiryJson = z.infer<typeof inquiryJsonSchema>;

export const inquiryMessageSchema = z
  .object({
    id: z.int(),
    from: z.enum(['asker', 'company']),
    author: z.string(),
    body: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'InquiryMessage' });
export type InquiryMessageJson = z.infer<typeof inquiryMessageSchema>;

export const inquiriesAnswerSchema = z
  .object({ items: z.array(inquiryJsonSchema), page: z.int(), perPage: z.int(), total: z.int(), pages: z.int() })
  .meta({ id: 'InquiriesPage' });
export type InquiriesAnswer = z.infer<typeof inquiriesAnswerSchema>;

export const inquiryThreadSchema = inquiryJsonSchema
  .extend({ messages: z.array(inquiryMessageSchema).meta({ description: 'Oldest first' }) })
  .meta({ id: 'InquiryThread' });
export type InquiryThreadJson = z.infer<typeof inquiryThreadSchema>;

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid' }),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional().meta({ description: 'Field -> message naming the value received and what is accepted' }),
    }),
  })
  .meta({ id: 'Error' });
export type ApiErrorBody = z.infer<typeof errorBodySchema>;
