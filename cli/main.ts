import { Command, CommanderError, Option } from 'commander';
import { Mailsift, SDK_VERSION } from '../sdk/src/index.ts';
import * as commands from './commands.ts';
import type { Ctx } from './commands.ts';
import { describeError, EXIT, Interrupted, Output, UsageError } from './output.ts';

const DEFAULT_URL = 'http://127.0.0.1:3000';

interface Globals {
  key?: string;
  url?: string;
  json?: boolean;
  pollMs: string;
}

/** Writes to pipes, files and terminals are synchronous on Linux and macOS: nothing is lost. */
function exit(code: number): never {
  process.exit(code);
}

/** Runs one command: its context, Ctrl-C, and the one-line error with its exit code. */
function action<O>(run: (ctx: Ctx, opts: O, ...positional: string[]) => Promise<number>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const globals = command.optsWithGlobals<Globals>();
    const out = new Output(!!globals.json);
    const url = globals.url ?? process.env.MAILSIFT_URL ?? DEFAULT_URL;
    const controller = new AbortController();
    let ctx: Ctx | null = null;
    const onSigint = () => {
      if (controller.signal.aborted) exit(EXIT.interrupted);
      controller.abort(new Interrupted('interrupted'));
    };
    process.on('SIGINT', onSigint);
    try {
      const apiKey = globals.key ?? process.env.MAILSIFT_API_KEY;
      if (!apiKey) throw new UsageError('no API key: pass --key or set MAILSIFT_API_KEY');
      const pollMs = Number(globals.pollMs);
      if (!Number.isInteger(pollMs) || pollMs < 100)
        throw new UsageError('--poll-ms takes a whole number of milliseconds, at least 100');
      ctx = {
        client: new Mailsift({ apiKey, baseUrl: url }),
        out,
        signal: controller.signal,
        pollMs,
        resume: null,
      };
      exit(await run(ctx, args.at(-2) as O, ...(args.slice(0, -2) as string[])));
    } catch (err) {
      if (controller.signal.aborted) {
        process.stderr.write('\n');
        out.line(
          ctx?.resume
            ? `Interrupted. The job keeps running; resume with: ${ctx.resume}`
            : 'Interrupted.',
        );
        exit(EXIT.interrupted);
      }
      const { line, exit: code, json } = describeError(err, url);
      process.stderr.write(`${line}\n`);
      if (out.json) out.data({ error: json });
      exit(code);
    } finally {
      process.off('SIGINT', onSigint);
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('mailsift')
    .description('Clean email lists with mailsift from the terminal.')
    .version(SDK_VERSION)
    .option('--key <key>', 'API key (default: $MAILSIFT_API_KEY)')
    .option('--url <url>', `service URL (default: $MAILSIFT_URL or ${DEFAULT_URL})`)
    .option('--json', 'print machine-readable JSON on stdout')
    .addOption(new Option('--poll-ms <ms>', 'how often to poll a running job').default('1000'))
    .exitOverride()
    .showSuggestionAfterError();

  program
    .command('clean')
    .description('upload a CSV file, wait for every verdict, download the cleaned file')
    .argument('<file>', 'the CSV file')
    .option('-o, --output <file>', 'where to write the result (default: <file>.cleaned.csv)')
    .option('--status <list>', 'write only rows with these verdicts, e.g. deliverable,risky')
    .option(
      '--columns <list>',
      'check columns to add (mailsift_<name>): free,role,disposable,catch_all,mx_found,mx_host,smtp_code,smtp_enhanced_code,smtp_message,domain,duration_ms or all',
    )
    .option('--bom', 'start the file with a UTF-8 BOM, so Excel shows accents right')
    .option('--quick', 'skip the SMTP probe (syntax, DNS and lists only)')
    .option('--smtp', 'ask for the SMTP probe (plans that have it)')
    .option('--email-column <column>', 'header name or 0-based index of the address column')
    .option('--name <name>', 'a name for the job (default: the file name)')
    .action(action((ctx, opts: commands.CleanOptions, file) => commands.clean(ctx, file, opts)));

  program
    .command('verify')
    .description('verify one address now')
    .argument('<email>')
    .option('--quick', 'skip the SMTP probe')
    .option('--smtp', 'ask for the SMTP probe')
    .action(
      action((ctx, opts: { quick?: boolean; smtp?: boolean }, email) =>
        commands.verify(ctx, email, opts),
      ),
    );

  const jobs = program
    .command('jobs')
    .description('list, inspect, wait for, download and delete jobs');
  jobs
    .command('list')
    .option('--limit <n>', 'jobs per page (1-100)')
    .option('--starting-after <id>', 'the page after this job')
    .action(
      action((ctx, opts: { limit?: string; startingAfter?: string }) =>
        commands.jobsList(ctx, opts),
      ),
    );
  jobs
    .command('show')
    .argument('<id>')
    .action(action((ctx, _opts: object, id) => commands.jobsShow(ctx, id)));
  jobs
    .command('results')
    .argument('<id>')
    .option('--status <list>', 'only these verdicts, e.g. deliverable,risky')
    .action(action((ctx, opts: { status?: string }, id) => commands.jobsResults(ctx, id, opts)));
  jobs
    .command('download')
    .argument('<id>')
    .requiredOption('-o, --output <file>', 'where to write results.csv')
    .option('--status <list>', 'only rows with these verdicts')
    .option(
      '--columns <list>',
      'check columns to add (mailsift_<name>): free,role,disposable,catch_all,mx_found,mx_host,smtp_code,smtp_enhanced_code,smtp_message,domain,duration_ms or all',
    )
    .option('--bom', 'start the file with a UTF-8 BOM, so Excel shows accents right')
    .action(
      action((ctx, opts: commands.DownloadOptions & { output: string }, id) =>
        commands.jobsDownload(ctx, id, opts),
      ),
    );
  jobs
    .command('delete')
    .argument('<id>')
    .action(action((ctx, _opts: object, id) => commands.jobsDelete(ctx, id)));
  jobs
    .command('wait')
    .argument('<id>')
    .option('-o, --output <file>', 'download the results here when the job ends')
    .option('--status <list>', 'only rows with these verdicts')
    .option(
      '--columns <list>',
      'check columns to add (mailsift_<name>): free,role,disposable,catch_all,mx_found,mx_host,smtp_code,smtp_enhanced_code,smtp_message,domain,duration_ms or all',
    )
    .option('--bom', 'start the file with a UTF-8 BOM, so Excel shows accents right')
    .action(
      action((ctx, opts: commands.DownloadOptions & { output?: string }, id) =>
        commands.jobsWait(ctx, id, opts),
      ),
    );

  program
    .command('account')
    .description('plan, credits and usage of the key')
    .action(action((ctx) => commands.account(ctx)));
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Commander has printed its message (a usage mistake) or the help / version.
  exit(err instanceof CommanderError ? (err.exitCode === 0 ? EXIT.ok : EXIT.usage) : EXIT.usage);
}
