import './env.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startService, type Role } from './service.ts';

/**
 * `npm start` (API and worker), `npm run start:api`, `npm run start:worker`
 * (through src/start.mjs, which checks the Node version first).
 * SIGTERM or SIGINT stops gracefully; a second one, seconds later, exits at once.
 */
const ROLES: Record<string, Role[]> = { all: ['api', 'worker'], api: ['api'], worker: ['worker'] };
/** A signal this long after the first one forces the exit; closer ones are the same stop delivered twice. */
const SECOND_SIGNAL_AFTER_MS = 2_000;

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'all';
  const roles = ROLES[mode];
  if (!roles) {
    console.error(`unknown mode "${mode}": expected one of ${Object.keys(ROLES).join(', ')}`);
    process.exit(2);
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });

  const service = await startService({ config, logger, roles }).catch((error: unknown) => {
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  });

  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // A process group (Ctrl-C, kill -- -pgid) and npm forwarding it deliver
      // the same stop twice within milliseconds: that is not a second request.
      if (performance.now() - stoppingSince < SECOND_SIGNAL_AFTER_MS) {
        logger.info({ signal }, 'stop already under way');
        return;
      }
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = performance.now();
    logger.info({ signal }, 'stopping');
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await main();
