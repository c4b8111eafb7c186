// zh-CN and English strings for the pages: t(key, vars) with {name} placeholders.
export type Lang = 'zh-CN' | 'en';
export type Dict = Record<string, string>;

const LANG_KEY = 'bg.lang';

export function storedLang(): Lang | null {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return v === 'en' || v === 'zh-CN' ? v : null;
  } catch {
    return null;
  }
}

export function defaultLang(preferred?: string | null): Lang {
  const stored = storedLang();
  if (stored) return stored;
  if (preferred === 'en' || preferred === 'zh-CN') return preferred;
  return /^zh/i.test(navigator.language) ? 'zh-CN' : 'en';
}

export class I18n {
  lang: Lang;
  /** Times are shown in the school's zone (set once known), not the phone's. */
  timeZone: string | undefined;
  constructor(
    private readonly dicts: Record<Lang, Dict>,
    lang: Lang,
  ) {
    this.lang = lang;
    document.documentElement.lang = lang;
  }
  /** This page view only. */
  use(lang: Lang) {
    this.lang = lang;
    document.documentElement.lang = lang;
  }
  /** Chosen on this device: kept. */
  set(lang: Lang) {
    this.use(lang);
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      /* not kept */
    }
  }
  t = (key: string, vars?: Record<string, string | number>): string => {
    const text = this.dicts[this.lang][key] ?? this.dicts.en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (_, k: string) => (vars[k] != null ? String(vars[k]) : `{${k}}`)) : text;
  };
  time(ms: number | string | Date): string {
    return new Date(ms).toLocaleTimeString(this.lang, { hour: '2-digit', minute: '2-digit', timeZone: this.timeZone });
  }
  dateTime(ms: number | string | Date): string {
    return new Date(ms).toLocaleString(this.lang, {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: this.timeZone,
    });
  }
}
