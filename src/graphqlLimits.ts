import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  Lexer,
  type SelectionSetNode,
  Source,
  TokenKind,
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
  /** Most fields one operation selects once every fragment is expanded where it is spread. */
  maxFields: number;
  /** Most aliased fields in one document. */
  maxAliases: number;
  /** Most lexical tokens in one document, counted before it is parsed. */
  maxTokens: number;
}

/** What a selection set asks for once its fragments are expanded (counted, never expanded). */
interface Cost {
  fields: number;
  connections: number;
  /** Levels below the selection set itself. */
  depth: number;
}

const FREE: Cost = { fields: 0, connections: 0, depth: 0 };

/**
 * Counts the tokens of a document without parsing it, stopping past `max`:
 * a query of a few kilobytes cannot make the parser or the rules below work
 * for long. Returns the count, or max + 1 when there are more.
 */
export function countTokens(query: string, max: number): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > max) return count;
    }
  } catch {
    // A lexical error: the parser reports it, with its position.
  }
  return count;
}

/**
 * A validation rule bounding the work one GraphQL operation can ask for:
 * queries only, their depth, the fields they select with every fragment
 * expanded where it is spread, the connections among them, aliases, and the
 * page size of each connection. Every connection must say `first` or
 * `last`, so no list is read unbounded; a value given by a variable is capped
 * when the query runs. Fragments are costed once each and multiplied where
 * they are spread, so a fragment bomb (fragments of ten aliases spread ten
 * times, five levels deep: 10^5 fields in a kilobyte) is measured in
 * microseconds and refused before it runs.
 */
export function graphqlLimitsRule(limits: GraphQLLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const report = (message: string, nodes: Parameters<ValidationContext['reportError']>[0]['nodes']) =>
      context.reportError(new GraphQLError(message, { nodes }));
    const schema = context.getSchema();
    const fragmentCosts = new Map<string, Cost>();

    const add = (a: Cost, b: Cost, times = 1): Cost => ({
      fields: a.fields + b.fields * times,
      connections: a.connections + b.connections * times,
      depth: Math.max(a.depth, b.depth),
    });

    const costOf = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | null | undefined, visiting: Set<string>): Cost => {
      let cost = FREE;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          const fieldDef = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
          const returns = fieldDef ? getNamedType(fieldDef.type) : undefined;
          let own: Cost = { fields: 1, connections: 0, depth: 0 };
          if (fieldDef && returns?.name.endsWith('Connection') && fieldDef.args.some((arg) => arg.name === 'first')) {
            own = { ...own, connections: 1 };
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
          if (selection.selectionSet) {
            const below = costOf(selection.selectionSet, returns, visiting);
            own = { fields: own.fields + below.fields, connections: own.connections + below.connections, depth: below.depth + 1 };
          }
          cost = add(cost, own);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          cost = add(cost, costOf(selection.selectionSet, type, visiting));
        } else {
          cost = add(cost, fragmentCost(selection.name.value, visiting));
        }
      }
      return cost;
    };

    const fragmentCost = (name: string, visiting: Set<string>): Cost => {
      const known = fragmentCosts.get(name);
      if (known) return known;
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      // A missing fragment or a cycle is reported by the specified rules.
      if (!fragment || visiting.has(name)) return FREE;
      const cost = costOf(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), new Set(visiting).add(name));
      fragmentCosts.set(name, cost);
      return cost;
    };

    return {
      Document(document) {
        let aliases = 0;
        const count = (selectionSet: SelectionSetNode): void => {
          for (const selection of selectionSet.selections) {
            if (selection.kind === Kind.FIELD && selection.alias) aliases += 1;
            if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) count(selection.selectionSet);
          }
        };
        for (const definition of document.definitions) {
          if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) count(definition.selectionSet);
        }
        if (aliases > limits.maxAliases) report(`the document has ${aliases} aliased fields; the limit is ${limits.maxAliases}`, [document]);
      },
      OperationDefinition(operation) {
        if (operation.operation !== 'query') {
          // Said plainly rather than left to the executor, whose error is masked.
          report(`this API is read-only: ${operation.operation} operations are not supported, only queries`, [operation]);
          return;
        }
        const cost = costOf(operation.selectionSet, schema.getQueryType(), new Set());
        if (cost.depth > limits.maxDepth) report(`operation is ${cost.depth} levels deep; the limit is ${limits.maxDepth}`, [operation]);
        if (cost.fields > limits.maxFields) {
          report(`operation selects ${cost.fields} fields once its fragments are expanded; the limit is ${limits.maxFields}`, [operation]);
        }
        if (cost.connections > limits.maxConnections) {
          report(`operation selects ${cost.connections} lists; the limit is ${limits.maxConnections} per operation`, [operation]);
        }
      },
    };
  };
}
