// The ingest as the Worker's HTTP side sees it: devices are looked up here (PostgreSQL through Hyperdrive), and each
// device's input is handed to its bus's object, which stores it and answers after the commit.
import type { DeviceEvent, Fix, Protocol } from '../../core/fix';
import type { TelemetryIngest } from '../../http/context';
import type { Logger } from '../../logging';
import { DeviceDirectory } from '../../pipeline/device-directory';
import { storeDeviceEvents } from '../../pipeline/ingest';
import { Metrics } from '../../pipeline/metrics';
import { type DeviceInfo, StorageUnavailableError, type SubmitOptions, type SubmitResult } from '../../pipeline/types';
import type { Database } from '../../store/db';
import { type BusObjectRpc, busObjectName, type StorageFailure } from './bus-object-rpc';
import type { DurableObjectNamespace } from './cf';

export class ObjectIngest implements TelemetryIngest {
  readonly metrics = new Metrics();
  readonly directory: DeviceDirectory;
  private readonly rejected = this.metrics.counter(
    'busguard_fixes_rejected_total',
    'Fixes and inputs refused, by protocol and reason',
  );

  constructor(
    private readonly database: Database,
    private readonly bus: DurableObjectNamespace<BusObjectRpc>,
    private readonly log: Logger,
    now: () => number,
  ) {
    this.directory = new DeviceDirectory(database, now);
  }

  private object(busId: number) {
    return this.bus.get(this.bus.idFromName(busObjectName(busId)));
  }

  lookupDevice(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined> {
    return this.directory.lookup(protocol, identifier);
  }

  countRejected(protocol: Protocol, reason: string, n = 1): void {
    this.rejected.inc({ protocol, reason }, n);
  }

  async submitFixes(
    device: DeviceInfo,
    fixes: Fix[],
    receivedMs: number,
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    if (fixes.length === 0) return { outcomes: [] };
    if (device.busId == null) {
      this.countRejected(device.protocol, 'no_bus', fixes.length);
      this.log.warn('fixes from a device fitted to no bus', {
        deviceId: device.deviceId,
        identifier: device.identifier,
        count: fixes.length,
      });
      return { outcomes: fixes.map(() => ({ status: 'rejected', reason: 'no_bus' })) };
    }
    const reply = await this.call(() =>
      this.object(device.busId!).submitFixes(device.busId!, device, fixes, receivedMs, options?.whenFull === 'refuse'),
    );
    return reply.result;
  }

  async submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void> {
    if (device.busId == null) {
      await storeDeviceEvents(this.database, device, events, receivedMs);
      return;
    }
    await this.call(() => this.object(device.busId!).submitEvents(device.busId!, device, events, receivedMs));
  }

  /** An object that cannot be reached, or a write it could not make, is "storage unavailable": resend later. */
  private async call<T extends { ok: true }>(rpc: () => Promise<T | StorageFailure>): Promise<T> {
    let reply: T | StorageFailure;
    try {
      reply = await rpc();
    } catch (err) {
      this.log.error('bus object unreachable', { error: String(err) });
      throw new StorageUnavailableError(`bus object unreachable: ${String(err)}`);
    }
    if (!reply.ok) throw new StorageUnavailableError(reply.message, reply.retryAfterS, reply.reason);
    return reply;
  }
}
