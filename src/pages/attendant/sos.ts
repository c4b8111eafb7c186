// The SOS press: kept on the phone until the server took it (a resend carries the same clientId, so it opens one
// case), sent with the phone's position when it gives one quickly, retried when the network comes back.
import { ApiError, type Api, clientId } from '../shared/api';
import type { SosResult } from '../../http/contract';

export interface PendingSos {
  tripId: number;
  clientId: string;
  note?: string;
  lat?: number;
  lon?: number;
  accuracyM?: number;
}

const KEY = 'bg.att.sos';
const read = (): PendingSos[] => {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
};
const write = (v: PendingSos[]) => {
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    /* full: the press is still sent from memory */
  }
};

/** The phone's position if it answers within timeoutMs, else nothing (the server takes the bus's last one). */
function phonePosition(timeoutMs: number): Promise<GeolocationPosition | null> {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs + 200);
    navigator.geolocation.getCurrentPosition(
      (p) => (clearTimeout(timer), resolve(p)),
      () => (clearTimeout(timer), resolve(null)),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
    );
  });
}

export class SosSender {
  private memory: PendingSos[] = read();
  private sending = false;
  constructor(
    private readonly api: Api,
    private readonly onChange: (r?: { sent?: SosResult; error?: unknown }) => void,
  ) {
    window.addEventListener('online', () => void this.flush());
    setInterval(() => this.memory.length && void this.flush(), 5000);
  }

  pending(tripId: number): PendingSos[] {
    return this.memory.filter((p) => p.tripId === tripId);
  }

  async press(tripId: number, note: string | undefined): Promise<void> {
    const pos = await phonePosition(3000);
    const p: PendingSos = {
      tripId,
      clientId: clientId(`sos${tripId}`),
      ...(note ? { note } : {}),
      ...(pos
        ? { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracyM: Math.round(pos.coords.accuracy) }
        : {}),
    };
    this.memory = [...this.memory, p];
    write(this.memory);
    this.onChange();
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (const p of [...this.memory]) {
        const { tripId, ...body } = p;
        try {
          const sent = await this.api.post<SosResult>(`/api/v1/trips/${tripId}/sos`, body);
          this.drop(p.clientId);
          this.onChange({ sent });
        } catch (err) {
          // Refused for good (not yours, malformed): drop it and say so; network or server trouble: keep it.
          if (err instanceof ApiError && !err.network && err.status < 500 && err.status !== 429) this.drop(p.clientId);
          this.onChange({ error: err });
          if (err instanceof ApiError && (err.network || err.status >= 500)) return;
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private drop(id: string) {
    this.memory = this.memory.filter((x) => x.clientId !== id);
    write(this.memory);
  }
}
