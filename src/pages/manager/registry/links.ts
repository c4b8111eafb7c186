// Handing credentials over: a guardian's parent-page link (with its QR code, to scan with the parent's phone), an
// OsmAnd phone's Traccar Client settings (QR code), and a partner JSON feed's device token. Links and tokens are
// shown once, in read-only fields with a copy button (kept out of the page's text).
import encodeQR from 'qr';
import type { Device, ParentLink } from '../../../http/contract';
import { h } from '../../shared/dom';
import type { RegistryCtx } from './ctx';
import { errorWords } from './errors';
import type { Editor, Row } from './resource';

function copyField(ctx: RegistryCtx, id: string, label: string, value: string, testid: string): HTMLElement {
  const t = ctx.i18n.t;
  const input = h('input', { id, type: 'text', readonly: true, value, 'data-testid': testid, class: 'copy-value' });
  return h(
    'div',
    { class: 'field field-wide' },
    h('label', { for: id }, label),
    h(
      'div',
      { class: 'row' },
      input,
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            input.select();
            try {
              await navigator.clipboard.writeText(value);
              ctx.toast(t('reg.copied'));
            } catch {
              ctx.toast(t('reg.copyByHand'));
            }
          },
        },
        t('reg.copy'),
      ),
    ),
  );
}

const qrImg = (text: string, alt: string, testid: string) =>
  h('img', {
    class: 'qr',
    src: encodeQR(text, 'data-url', { ecc: 'medium', scale: 6, border: 4 }),
    alt,
    'data-testid': testid,
  });

/** The guardian's parent link: a new token on request (optionally revoking the earlier links). */
export function parentLinkPanel(ctx: RegistryCtx, g: Row, editor: Editor): HTMLElement {
  const t = ctx.i18n.t;
  const out = h('div', { 'aria-live': 'polite' });
  const revoke = h('input', { id: 'pl-revoke', type: 'checkbox' });
  const msg = h('p', { role: 'status', class: 'form-msg' });
  const issue = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      'data-testid': 'issue-parent-link',
      onclick: async () => {
        issue.disabled = true;
        msg.className = 'form-msg';
        msg.textContent = t('reg.saving');
        try {
          const link = await ctx.api.post<ParentLink>(`/api/v1/guardians/${g.id}/parent-link`, {
            revokeOthers: revoke.checked,
          });
          const url = `${location.origin}/parent#token=${encodeURIComponent(link.token)}`;
          msg.className = 'form-msg ok-text';
          msg.textContent = link.revokedTokenIds.length
            ? t('reg.linkIssuedRevoked', { n: link.revokedTokenIds.length })
            : t('reg.linkIssued');
          out.replaceChildren(
            qrImg(url, t('reg.parentQrAlt', { name: g.name }), 'parent-qr'),
            copyField(ctx, 'pl-url', t('reg.parentLink'), url, 'parent-link-url'),
            h(
              'p',
              null,
              h(
                'a',
                { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'open-parent-link' },
                t('reg.openParentPage'),
              ),
            ),
          );
        } catch (err) {
          msg.className = 'form-msg error';
          msg.textContent = errorWords(t, err);
        } finally {
          issue.disabled = false;
        }
      },
    },
    t('reg.issueLink'),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'pl-title', 'data-testid': 'parent-link-panel' },
    h('h3', { id: 'pl-title' }, t('reg.parentLinkFor', { name: g.name })),
    h('p', null, t('reg.parentLinkHelp')),
    h('div', { class: 'field' }, h('label', { class: 'check', for: 'pl-revoke' }, revoke, t('reg.revokeOthers'))),
    h('div', { class: 'row' }, issue, h('button', { type: 'button', onclick: () => editor.close() }, t('closePanel'))),
    msg,
    out,
  );
}

/** Traccar Client settings for an OsmAnd device: the OsmAnd port on this host, with the device id. */
export function phoneSetupPanel(ctx: RegistryCtx, d: Device, editor: Editor): HTMLElement {
  const t = ctx.i18n.t;
  const port = document.querySelector<HTMLMetaElement>('meta[name="bg-osmand-port"]')?.content || '5055';
  const serverUrl = `${location.protocol}//${location.hostname}:${port}`;
  const qrText = `${serverUrl}/?id=${encodeURIComponent(d.identifier)}`;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'phone-setup-title' },
    h('h3', { id: 'phone-setup-title' }, t('phoneSetupFor', { id: d.label ?? d.identifier })),
    h('p', null, t('phoneSetupHelp')),
    qrImg(qrText, t('qrAlt', { id: d.identifier }), 'device-qr'),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, t('serverUrl')),
      h('dd', { 'data-testid': 'device-server-url' }, serverUrl),
      h('dt', null, t('deviceIdentifier')),
      h('dd', { 'data-testid': 'device-identifier' }, h('code', null, d.identifier)),
      h('dt', null, t('devicePassword')),
      h('dd', null, d.hasSecret ? t('passwordSet') : t('passwordNone')),
    ),
    h('button', { type: 'button', onclick: () => editor.close() }, t('closePanel')),
  );
}

/** A partner JSON feed's token: a device user for the device (made here), and a token shown once. */
export function deviceTokenPanel(ctx: RegistryCtx, d: Device, editor: Editor): HTMLElement {
  const t = ctx.i18n.t;
  const out = h('div', { 'aria-live': 'polite' });
  const msg = h('p', { role: 'status', class: 'form-msg' });
  const issue = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: async () => {
        issue.disabled = true;
        try {
          const user = await ctx.api.post<{ id: number }>('/api/v1/users', {
            name: d.label ?? d.identifier,
            role: 'device',
            deviceId: d.id,
          });
          const tok = await ctx.api.post<{ token: string }>(`/api/v1/users/${user.id}/tokens`, {
            label: 'device feed',
          });
          msg.className = 'form-msg ok-text';
          msg.textContent = t('reg.tokenIssued');
          out.replaceChildren(copyField(ctx, 'dt-token', t('reg.deviceToken'), tok.token, 'device-token'));
        } catch (err) {
          msg.className = 'form-msg error';
          msg.textContent = errorWords(t, err);
        } finally {
          issue.disabled = false;
        }
      },
    },
    t('reg.issueToken'),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'dt-title' },
    h('h3', { id: 'dt-title' }, t('reg.deviceTokenFor', { id: d.label ?? d.identifier })),
    h('p', null, t('reg.deviceTokenHelp')),
    h('div', { class: 'row' }, issue, h('button', { type: 'button', onclick: () => editor.close() }, t('closePanel'))),
    msg,
    out,
  );
}
