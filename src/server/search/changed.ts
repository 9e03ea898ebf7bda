// Who hears that what searches answer has changed: the index took queued changes, expired listings left it, it was
// rebuilt, or the dictionary was edited. The page cache drops its kept search pages then, not at the write that
// queued the change: a search page rendered between a write and its indexing would otherwise be kept without it.
type Listener = () => void;

const listeners = new Set<Listener>();

export function onSearchChanged(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call once the change is visible to searches (committed to FTS5, or acknowledged by Meilisearch). */
export function searchChanged(): void {
  for (const listener of listeners) listener();
}
