// A hub in its own process, for tests that kill it: `node -r register-swc.cjs hub-child.ts <dataDir>`.
// Prints one JSON line with the ports once it listens, then runs until killed.
import { startLocalHub } from '../hub';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hub-child <dataDir>');
startLocalHub({ dataDir, mqttPort: 0, httpsPort: 0 }).then(
  (hub) => process.stdout.write(`${JSON.stringify({ mqttPort: hub.mqttPort, httpsPort: hub.httpsPort })}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
