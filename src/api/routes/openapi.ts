import { Router } from 'express';
import { noQuerySchema } from '../../domain/values.ts';
import { allowOnly } from '../errors.ts';
import { openApiDocument } from '../openapi.ts';
import { parseQuery } from '../validate.ts';

/** GET /api/openapi.json: the OpenAPI 3.1 document of the REST API, built once from the routes' schemas (src/api/openapi.ts). */
export function openapiRouter(): Router {
  const router = Router();
  let body: string | undefined;
  router.get('/api/openapi.json', (req, res) => {
    parseQuery(noQuerySchema, req);
    body ??= JSON.stringify(openApiDocument());
    res.set('Cache-Control', 'no-cache');
    res.type('application/json').send(body);
  });
  allowOnly(router, '/api/openapi.json', ['GET']);
  return router;
}
