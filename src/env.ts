// Imported first by the entry point: PostGraphile reads GRAPHILE_ENV when it
// loads and warns when it is unset. The service runs in production mode
// unless told otherwise (tests set development).
process.env.GRAPHILE_ENV ??= 'production';
