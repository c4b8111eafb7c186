// Signing in, the same on every page: a token field whose value goes into the address fragment (never a query
// string, so it stays out of server logs); after the reload the page's takeToken keeps it and clears the address.
import { type Api, ApiError, forgetToken } from './api';
import { h } from './dom';

export interface SignInText {
  title: string;
  label: string;
  button: string;
  /** A line under the title (how to get a link). */
  help?: string;
}

export function signInCard(text: SignInText, message?: string): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': text.help ? 'token-help' : undefined,
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, text.title),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    text.help ? h('p', { id: 'token-help' }, text.help) : null,
    h(
      'form',
      {
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          location.hash = `token=${encodeURIComponent(input.value.trim())}`;
          location.reload();
        },
      },
      h('label', { for: 'token' }, text.label),
      ' ',
      input,
      ' ',
      h('button', { class: 'primary', type: 'submit' }, text.button),
    ),
  );
}

/** Who the stored token belongs to; undefined (and the token forgotten) when the server no longer accepts it. */
export async function whoAmI<T>(api: Api, tokenKey: string): Promise<T | undefined> {
  try {
    return await api.get<T>('/api/v1/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      forgetToken(tokenKey);
      return undefined;
    }
    throw err;
  }
}
