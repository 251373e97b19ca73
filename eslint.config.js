// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const routeFiles = {
  group: ['**/*.routes.ts'],
  message: 'Route files are mounted by src/app.ts only; shared code lives beside them.',
};

/**
 * One folder's import rule. Type-only imports stay allowed (the layers may share types). The
 * last block that matches a file sets its rule, so each block carries the route-file rule too.
 */
function layer(files, { paths = [], patterns = [] }, opts = {}) {
  const all = opts.routesAllowed ? patterns : [...patterns, routeFiles];
  return {
    files,
    ignores: opts.ignores ?? [],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: paths.map((p) => ({ ...p, allowTypeImports: true })),
          patterns: all.map((p) => ({ ...p, allowTypeImports: true })),
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'src/generated/',
      'coverage/',
      'scratch/',
      'web/dist/',
      'test-output/',
      'dist/',
    ],
  },
  { ignores: ['sdk/src/generated/', 'sdk/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  // The layers (ARCHITECTURE.md): http/ and workers/ reach the database only through domain/
  // (types may be shared); domain/ speaks no HTTP and no BullMQ; validation/ is the engine and
  // knows nothing of storage, queues or the domain; only src/app.ts mounts route files.
  layer(
    ['src/**/*.ts', 'workers/**/*.ts', 'cli/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    {},
    {
      ignores: ['src/app.ts'],
    },
  ),
  layer(['src/http/**/*.ts', 'workers/**/*.ts'], {
    patterns: [
      {
        group: ['**/data/**', '**/generated/**'],
        message: 'Go through src/domain/ (types only here).',
      },
    ],
  }),
  layer(
    ['src/http/routes/**/*.ts'],
    {
      patterns: [
        {
          group: ['**/data/**', '**/generated/**'],
          message: 'Go through src/domain/ (types only here).',
        },
      ],
    },
    { routesAllowed: true },
  ),
  layer(['src/domain/**/*.ts'], {
    paths: [
      { name: 'express', message: 'domain/ speaks no HTTP: throw a DomainError.' },
      { name: 'bullmq', message: 'domain/ speaks no BullMQ: throw a PermanentTaskError.' },
      ...['pg', 'pg-copy-streams', '@prisma/adapter-pg'].map((name) => ({
        name,
        message: 'SQL is written in src/data/ only: call a repository (withTransaction for more).',
      })),
    ],
    patterns: [
      {
        group: ['**/data/transaction.ts'],
        importNames: ['clientOf'],
        message: "A transaction's client is data/'s: pass the Tx to a repository function.",
      },
    ],
  }),
  {
    // No SQL in domain/ either by the client's raw methods or by its pool: repositories do it.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'MemberExpression[property.name=/^(\\$queryRaw|\\$executeRaw|\\$queryRawUnsafe|\\$executeRawUnsafe|\\$transaction|pool)$/]',
          message:
            'SQL is written in src/data/ only: call a repository function (withTransaction for a transaction).',
        },
      ],
    },
  },
  {
    // Transport and wiring hand `deps` to domain/: they never reach for the client themselves.
    files: [
      'src/http/**/*.ts',
      'workers/**/*.ts',
      'src/app.ts',
      'src/main.ts',
      'src/server.ts',
      'src/cli.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(prisma|pool)$/]',
          message: 'Pass deps to a domain function; the database is reached through src/data/.',
        },
      ],
    },
  },
  layer(['src/data/**/*.ts'], {
    patterns: [
      {
        group: ['**/domain/**', '**/http/**', '**/queue/**', '**/workers/**'],
        message: 'data/ is storage only: callers hand it what it needs as arguments.',
      },
    ],
  }),
  layer(['src/validation/**/*.ts'], {
    patterns: [
      {
        group: ['**/data/**', '**/queue/**', '**/domain/**', '**/http/**'],
        message: 'validation/ is the engine: it takes what it needs as arguments.',
      },
    ],
  }),
  {
    // Tests read JSON bodies of the API as they come; typing every one adds nothing.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['eslint.config.js', 'scripts/**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['bin/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
