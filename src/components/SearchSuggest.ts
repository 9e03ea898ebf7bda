// The header search's suggestion list: fetches /api/v1/suggest as the person types (debounced, stale answers
// dropped) and behaves as an ARIA combobox with a listbox. Without it the form still works as a plain GET.
interface Suggestion {
  type: 'category' | 'listing' | 'company';
  text: string;
  url: string;
}

export function attachSuggestions(form: HTMLFormElement): void {
  const input = form.querySelector<HTMLInputElement>('input[name="q"]');
  const list = form.querySelector<HTMLUListElement>('[role="listbox"]');
  if (!input || !list) return;
  const endpoint = form.dataset.suggestUrl ?? '/api/v1/suggest';
  let items: Suggestion[] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (i: number) => {
    active = i;
    list.querySelectorAll('li').forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `${list.id}-${i}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const render = () => {
    list.replaceChildren(
      ...items.map((s, i) => {
        const li = document.createElement('li');
        li.id = `${list.id}-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.dataset.url = s.url;
        const type = document.createElement('span');
        type.className = 'type';
        type.textContent = list.dataset[`label${s.type[0]!.toUpperCase()}${s.type.slice(1)}`] ?? s.type;
        const text = document.createElement('span');
        text.textContent = s.text;
        li.append(type, text);
        // mousedown, not click: it fires before the input's blur closes the list.
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          window.location.assign(s.url);
        });
        return li;
      }),
    );
    const open = items.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    active = -1;
  };

  const fetchSuggestions = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) {
      items = [];
      render();
      return;
    }
    try {
      const url = new URL(endpoint, window.location.href);
      url.searchParams.set('q', q);
      const res = await fetch(url, { headers: { Accept: 'application/json' } });
      if (!res.ok || mine !== seq) return;
      items = ((await res.json()) as { suggestions: Suggestion[] }).suggestions;
      render();
    } catch {
      // Suggestions are a convenience: a failed fetch leaves the plain form.
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden || items.length === 0) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      highlight((active + 1) % items.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      window.location.assign(items[active]!.url);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener('blur', close);
}
