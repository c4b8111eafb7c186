// The public hazard-report page (/report): no account. A form (category, plate, place by text or the phone's
// location, time, description, up to 3 photos) posts to /api/v1/hazard-reports and shows the receipt code;
// /report?receipt=CODE shows the report's status and, once closed, what was done.
import type { HazardReceipt, HazardReportStatus } from '../../http/contract';
import { h, clear } from '../shared/dom';
import { defaultLang, I18n } from '../shared/i18n';
import { en, zh } from './strings';

const i18n = new I18n({ en, 'zh-CN': zh }, defaultLang('zh-CN'));
const t = i18n.t;
const app = document.getElementById('app')!;

const categories = ['overCapacity', 'speeding', 'unlicensedBus', 'driver', 'vehicleDefect', 'unsafeStop', 'other'];
const MAX_PHOTOS = 3;
const MAX_BYTES = 5 * 1024 * 1024;

async function errorText(res: Response): Promise<string> {
  if (res.status === 429) return t('rateLimited');
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    return body.error?.message ?? String(res.status);
  } catch {
    return String(res.status);
  }
}

function base64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function header() {
  return h(
    'header',
    { class: 'report-header' },
    h('h1', null, t('title')),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          i18n.set(i18n.lang === 'en' ? 'zh-CN' : 'en');
          route();
        },
      },
      t('language'),
    ),
  );
}

function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function showForm() {
  let position: { lat: number; lon: number } | undefined;
  const status = h('p', { role: 'status', class: 'info' });
  const category = h(
    'select',
    { name: 'category', required: true },
    categories.map((c) => h('option', { value: c }, t(`category.${c}`))),
  );
  const plate = h('input', { name: 'plate', maxlength: 20, autocomplete: 'off' });
  const place = h('input', { name: 'place', maxlength: 200 });
  const where = h('p', { class: 'muted' });
  const when = h('input', { name: 'when', type: 'datetime-local', required: true, value: localInputValue(Date.now()) });
  const description = h('textarea', { name: 'description', required: true, maxlength: 2000, rows: 4 });
  const photos = h('input', { name: 'photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const submit = h('button', { type: 'submit' }, t('submit'));
  const form = h(
    'form',
    {
      class: 'report-form',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        const files = [...(photos.files ?? [])];
        if (files.length > MAX_PHOTOS) return clear(status, t('tooManyPhotos'));
        for (const f of files) {
          if (f.size > MAX_BYTES) return clear(status, t('photoTooLarge', { name: f.name }));
          if (!/^image\/(jpeg|png)$/.test(f.type)) return clear(status, t('photoType', { name: f.name }));
        }
        if (!place.value.trim() && !position) return clear(status, t('needPlace'));
        submit.disabled = true;
        clear(status, t('sending'));
        try {
          const body = {
            category: category.value,
            ...(plate.value.trim() ? { plate: plate.value.trim() } : {}),
            ...(place.value.trim() ? { place: place.value.trim() } : {}),
            ...(position ?? {}),
            occurredAt: new Date(when.value).toISOString(),
            description: description.value.trim(),
            photos: await Promise.all(files.map(async (f) => ({ data: await base64(f) }))),
          };
          const res = await fetch('/api/v1/hazard-reports', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          if (!res.ok) throw new Error(await errorText(res));
          showReceipt((await res.json()) as HazardReceipt);
        } catch (err) {
          clear(status, t('failed', { message: err instanceof Error ? err.message : String(err) }));
          submit.disabled = false;
        }
      },
    },
    h('label', null, t('category'), category),
    h('label', null, t('plate'), plate),
    h('label', null, t('place'), place),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () =>
          navigator.geolocation?.getCurrentPosition(
            (p) => {
              position = { lat: p.coords.latitude, lon: p.coords.longitude };
              clear(where, t('locationTaken', { lat: position.lat.toFixed(5), lon: position.lon.toFixed(5) }));
            },
            () => clear(where, t('locationFailed')),
          ),
      },
      t('useLocation'),
    ),
    where,
    h('label', null, t('when'), when),
    h('label', null, t('description'), description),
    h('label', null, t('photos'), photos),
    submit,
    status,
  );
  clear(app, header(), h('p', null, t('intro')), form);
}

function showReceipt(r: HazardReceipt) {
  const link = `/report?receipt=${encodeURIComponent(r.receipt)}`;
  clear(
    app,
    header(),
    h('p', { role: 'status' }, t('sent')),
    h('p', null, t('receipt'), ': ', h('strong', { class: 'receipt' }, r.receipt)),
    h('p', { class: 'muted' }, t('keepReceipt')),
    h('p', null, h('a', { href: link }, t('followLink'))),
  );
}

async function showStatus(receipt: string) {
  clear(app, header(), h('p', { role: 'status' }, '…'));
  const res = await fetch(`/api/v1/hazard-reports/${encodeURIComponent(receipt)}`);
  if (!res.ok) {
    clear(
      app,
      header(),
      h('p', { role: 'alert', class: 'error' }, res.status === 404 ? t('notFound') : await errorText(res)),
    );
    return;
  }
  const s = (await res.json()) as HazardReportStatus;
  clear(
    app,
    header(),
    h('h2', null, t('statusTitle', { receipt: s.receipt })),
    h('p', { class: `report-status status-${s.status}` }, t(`status.${s.status}`)),
    h(
      'p',
      { class: 'muted' },
      t(`category.${s.category}`),
      ' · ',
      t('reportedAt', { time: i18n.dateTime(s.createdAt) }),
    ),
    s.closedAt ? h('p', null, t('closedAt', { time: i18n.dateTime(s.closedAt) })) : null,
    s.closingNote
      ? h('div', { class: 'closing-note' }, h('h3', null, t('closingNote')), h('p', null, s.closingNote))
      : null,
    h('p', null, h('a', { href: '/report' }, t('newReport'))),
  );
}

function route() {
  const receipt = new URLSearchParams(location.search).get('receipt');
  if (receipt) void showStatus(receipt);
  else showForm();
}

route();
