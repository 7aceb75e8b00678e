import './env.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startService, type Role } from './service.ts';

/**
 * `npm start` (API and worker), `npm run start:api`, `npm run start:worker`.
 * SIGTERM or SIGINT stops gracefully; a second signal exits at once.
 */
const ROLES: Record<string, Role[]> = { all: ['api', 'worker'], api: ['api'], worker: ['worker'] };

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'all';
  const roles = ROLES[mode];
  if (!roles) {
    console.error(`unknown mode "${mode}": expected one of ${Object.keys(ROLES).join(', ')}`);
    process.exit(2);
  }

  let config;
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

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
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
