// The upload control's island: previews of the chosen files and a warning (which also blocks submitting) when there
// are more files than room or a file over the size limit, before anything is sent. The form works without it.

const fill = (template: string, values: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));

function previewOf(file: File, maxBytes: number): HTMLLIElement {
  const item = document.createElement('li');
  const caption = document.createElement('span');
  caption.textContent = file.name;
  if (file.size > maxBytes) {
    item.classList.add('too-big');
  } else if (/^image\/(jpeg|png|webp|avif)$/.test(file.type)) {
    // A data: URL, not a blob: URL: the page's Content-Security-Policy allows images from 'self' and data: only.
    const img = document.createElement('img');
    img.alt = '';
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      if (typeof reader.result === 'string') img.src = reader.result;
    });
    reader.readAsDataURL(file);
    item.append(img);
  }
  item.append(caption);
  return item;
}

function wire(box: HTMLElement): void {
  const input = box.querySelector<HTMLInputElement>('input[type=file]');
  const preview = box.querySelector<HTMLElement>('.preview');
  const warning = box.querySelector<HTMLElement>('.warning');
  if (!input || !preview || !warning) return;
  const max = Number(box.dataset.max);
  const maxBytes = Number(box.dataset.maxBytes);

  const update = () => {
    const files = [...(input.files ?? [])];
    // Existing images not ticked "remove" still take their places.
    const kept = box.querySelectorAll('.images input[type=checkbox]:not(:checked)').length;
    const room = Math.max(0, max - kept);
    const problems: string[] = [];
    if (files.length > room) problems.push(fill(box.dataset.msgTooMany ?? '', { count: files.length, max: room }));
    for (const f of files) if (f.size > maxBytes) problems.push(fill(box.dataset.msgTooBig ?? '', { name: f.name }));
    preview.replaceChildren(...files.map((f) => previewOf(f, maxBytes)));
    warning.textContent = problems.join(' ');
    warning.hidden = problems.length === 0;
    input.setCustomValidity(problems.join(' '));
  };
  input.addEventListener('change', update);
  box.querySelector('.images')?.addEventListener('change', update);
  update();
}

export function start(): void {
  for (const box of document.querySelectorAll<HTMLElement>('[data-image-input]')) wire(box);
}
