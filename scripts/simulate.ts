// Fleet simulator: drives buses along the routes in the registry and reports their positions to a running
// busguard over loopback, in each device's protocol (JT/T 808 over TCP, OsmAnd over HTTP, JSON batches).
//
//   npm run simulate -- [flags]
//
//   --api URL            main HTTP endpoint (default http://127.0.0.1:3000)
//   --token T            admin or manager token (default: $BUSGUARD_TOKEN, $ADMIN_TOKEN, else the manager token
//                        in DATA_DIR/demo-tokens.json)
//   --jt808 HOST:PORT    JT/T 808 server (default 127.0.0.1:$JT808_PORT or 6808)
//   --osmand URL         OsmAnd endpoint (default http://127.0.0.1:$OSMAND_PORT or 5055; `--osmand api` = API /osmand)
//   --buses N            buses to drive (default: every device fitted to a bus); more than the registry has are
//                        created through the API (bus + device; JSON devices get a device token)
//   --protocol P         only devices of protocol P (jt808, osmand, json); also the protocol of created devices
//   --speedup N          simulated seconds per wall second (default 1). Device times never run ahead of the clock:
//                        the run ends at "now" and starts duration × (N − 1) seconds in the past
//   --duration S         wall-clock seconds to run (default 60, at most 3600); the simulator then stops by itself
//   --interval S         simulated seconds between reports (default 5)
//   --seed N             random seed (default 1)
//   --auth-codes FILE    where JT/T 808 terminals keep their auth codes across runs (default
//                        DATA_DIR/jt808-auth-codes.json when DATA_DIR is set; otherwise kept in memory). A terminal
//                        authenticates with its kept code (or the demo's provisioned one) and registers only when
//                        that fails; a terminal the server calls already registered gets a re-registration window
//                        opened through the API (manager or admin token)
//   scenarios (every bus):
//   --overspeed          cruise at 75 km/h over the middle third of the route
//   --detour             leave the route sideways by up to 400 m over 30–45 % of it
//   --gps-dropout        no GNSS fix for 10 % of the run (JT/T 808 reports with the fix bit clear; others send nothing)
//   --blind-area         no coverage for 15 % of the run; the stored reports are back-filled afterwards
//                        (JT/T 808 0x0704 type 1, OsmAnd one by one, JSON in one batch)
//   --device-off         every device goes silent at 80 % of the run
//   --expired-driver-card  JT/T 808 buses report a driver card (0x0702) whose certificate expired yesterday
//                        (without the flag they report the trip driver's valid card)
//
// Attendants: a bus whose trip today has an attendant with a token in DATA_DIR/demo-tokens.json (the demo's) gets a
// simulated attendant: check-in before the bus sets off, the children boarding at their stops, everyone off at
// the last stop, and the end-of-trip sweep (also when the run ends before the route does).
//
// Output: JSON lines (progress and a final summary per bus and in total: sent, acked, refused, resent, errors,
// backfilled, unacked — fixes that never got a positive acknowledgement —, reconnects). Exits 1 when anything
// was left unacknowledged. Loopback addresses only.
import { readFileSync } from 'node:fs';
import { parseArgs, simulate } from '../src/demo/simulate';

(async () => {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    // The usage is the comment at the top of this file.
    const text = readFileSync(new URL(import.meta.url), 'utf8');
    const usage = text
      .split('\n')
      .filter((l, i, all) => l.startsWith('//') && all.slice(0, i).every((x) => x.startsWith('//')));
    process.stdout.write(usage.map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    return process.exit(0);
  }
  const o = parseArgs(process.argv.slice(2), process.env);
  const summary = await simulate(o);
  for (const b of summary.buses) o.log('bus summary', b);
  o.log('simulation finished', { simulatedS: summary.simulatedS, ...summary.total });
  // Anything not acknowledged is a failure of the run, even when no request errored.
  process.exit(summary.total.errors > 0 || summary.total.unacked > 0 ? 1 : 0);
})().catch((err) => {
  process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
