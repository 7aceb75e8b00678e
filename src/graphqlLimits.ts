import {
  GraphQLError,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type GraphQLNamedType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'postgraphile/graphql';

export interface GraphQLLimits {
  /** Largest `first` / `last` of any connection. */
  maxPageSize: number;
  /** Deepest selection set allowed (introspection fields are not counted). */
  maxDepth: number;
  /** Most connection fields one operation may select, aliases and fragment uses included. */
  maxConnections: number;
}

/**
 * A validation rule bounding the work one GraphQL operation can ask for:
 * queries only, their depth, the number of connections they select, and
 * the page size of each. Every connection must say `first` or `last`, so no list is read
 * unbounded; a value given by a variable is capped when the query runs.
 */
export function graphqlLimitsRule(limits: GraphQLLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      if (operation.operation !== 'query') {
        // Said plainly rather than left to the executor, whose error is masked.
        context.reportError(new GraphQLError(`this API is read-only: ${operation.operation} operations are not supported, only queries`, { nodes: [operation] }));
        return;
      }
      const root = schema.getQueryType();
      let deepest = 0;
      let connections = 0;
      const report = (message: string, node: Parameters<ValidationContext['reportError']>[0]['nodes']) =>
        context.reportError(new GraphQLError(message, { nodes: node }));

      const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | null | undefined, depth: number, fragments: Set<string>) => {
        deepest = Math.max(deepest, depth);
        for (const selection of selectionSet.selections) {
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value.startsWith('__')) continue;
            const fieldDef = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
            const returns = fieldDef ? getNamedType(fieldDef.type) : undefined;
            if (fieldDef && returns && returns.name.endsWith('Connection') && fieldDef.args.some((arg) => arg.name === 'first')) {
              connections += 1;
              const paging = (selection.arguments ?? []).filter((arg) => arg.name.value === 'first' || arg.name.value === 'last');
              if (paging.length === 0) {
                report(`${selection.name.value}: give first or last (at most ${limits.maxPageSize}) to page through this list`, [selection]);
              }
              for (const arg of paging) {
                if (arg.value.kind === Kind.INT && Number(arg.value.value) > limits.maxPageSize) {
                  report(`${selection.name.value}: ${arg.name.value} must be at most ${limits.maxPageSize}; page with after/before cursors`, [arg]);
                }
              }
            }
            if (selection.selectionSet) walk(selection.selectionSet, returns, depth + 1, fragments);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
            walk(selection.selectionSet, type, depth, fragments);
          } else {
            const name = selection.name.value;
            const fragment = context.getFragment(name);
            // A fragment cycle is reported by the specified rules; just stop here.
            if (!fragment || fragments.has(name)) continue;
            walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, new Set(fragments).add(name));
          }
        }
      };
      walk(operation.selectionSet, root, 0, new Set());

      if (deepest > limits.maxDepth) {
        report(`operation is ${deepest} levels deep; the limit is ${limits.maxDepth}`, [operation]);
      }
      if (connections > limits.maxConnections) {
        report(`operation selects ${connections} lists; the limit is ${limits.maxConnections} per operation`, [operation]);
      }
    },
  });
}
