import { useRef, useState } from 'preact/hooks';
import { ApiError, uploadJob } from './api.ts';
import type { Session } from './app.tsx';
import { columnLabel, previewCsv, type CsvPreview } from './csv-preview.ts';
import { explain, formatBytes, type Where } from './errors.ts';

const SAMPLE_BYTES = 64 * 1024;

type Errors = Partial<Record<Where, string>>;

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  return (
    <p id={id} class="error" role="alert">
      {text ?? ''}
    </p>
  );
}

function PreviewTable({
  file,
  preview,
  column,
}: {
  file: File;
  preview: CsvPreview;
  column: number | null;
}) {
  const cols = Array.from({ length: preview.width }, (_, i) => i);
  return (
    <div class="scroll" tabIndex={0} role="region" aria-labelledby="preview-caption">
      <table class="preview" data-testid="preview">
        <caption id="preview-caption">
          First rows of {file.name}
          {column !== null
            ? `; the email column, ${columnLabel(preview, column)}, is highlighted`
            : ''}
        </caption>
        <thead>
          <tr>
            {cols.map((i) => (
              <th scope="col" class={i === column ? 'email-col' : undefined} data-col={i}>
                {columnLabel(preview, i)}
                {i === column ? <span class="tag"> email</span> : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((r) => (
            <tr>
              {cols.map((i) => (
                <td class={i === column ? 'email-col' : undefined}>{r[i] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function UploadView({ session }: { session: Session }) {
  const smtpAvailable = session.account.features?.smtp ?? false;
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [column, setColumn] = useState<number | null>(null);
  const [name, setName] = useState('');
  const [quick, setQuick] = useState(false);
  const [smtp, setSmtp] = useState(smtpAvailable);
  const [webhook, setWebhook] = useState('');
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  async function choose(f: File | null) {
    setErrors({});
    setFile(f);
    setPreview(null);
    setColumn(null);
    if (!f) return;
    setName(f.name.replace(/\.(csv|txt|tsv)$/i, ''));
    const text = await f.slice(0, SAMPLE_BYTES).text();
    const p = previewCsv(text, f.size <= SAMPLE_BYTES);
    setPreview(p);
    setColumn(p.emailColumn);
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer?.files[0];
    if (f) void choose(f);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!file) {
      setErrors({ file: 'Choose a CSV file to upload.' });
      fileInput.current?.focus();
      return;
    }
    const form = new FormData();
    form.append('csv_file', file, file.name);
    if (name.trim()) form.append('name', name.trim());
    if (column !== null) form.append('email_column', String(column));
    form.append('quick_mode', String(quick));
    if (smtpAvailable) form.append('smtp', String(smtp));
    if (webhook.trim()) form.append('webhook_url', webhook.trim());
    setErrors({});
    setProgress({ sent: 0, total: file.size });
    try {
      const job = await uploadJob(session.key, form, (sent, total) => setProgress({ sent, total }));
      session.refresh();
      session.go(`#/jobs/${job.id}`);
    } catch (err) {
      setProgress(null);
      const x =
        err instanceof ApiError
          ? explain(err, 'upload')
          : { where: 'submit' as const, sentence: String(err) };
      setErrors({ [x.where]: x.sentence });
      document.getElementById(x.where === 'submit' ? 'start' : fieldId[x.where])?.focus();
    }
  }

  const fieldId: Record<Where, string> = {
    key: 'start',
    file: 'csv-file',
    email_column: 'email-column',
    name: 'job-name',
    webhook_url: 'webhook-url',
    smtp: 'smtp',
    submit: 'start',
    email: 'start',
  };
  const invalid = (w: Where) => (errors[w] ? 'true' : undefined);
  const busy = progress !== null;
  const pct =
    progress && progress.total > 0 ? Math.floor((100 * progress.sent) / progress.total) : 0;

  return (
    <>
      <h1 tabIndex={-1}>Upload a list</h1>
      <form onSubmit={(e) => void submit(e)} class="card upload" noValidate>
        <div
          class={`drop${dragging ? ' over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          data-testid="drop-zone"
        >
          <label for="csv-file">CSV file</label>
          <p class="hint" id="csv-file-hint">
            Drop a file here or choose one. A header row is optional; commas, semicolons and tabs
            all work.
          </p>
          <input
            id="csv-file"
            ref={fileInput}
            type="file"
            accept=".csv,.txt,.tsv,text/csv,text/plain"
            onChange={(e) => void choose(e.currentTarget.files?.[0] ?? null)}
            aria-invalid={invalid('file')}
            aria-describedby="csv-file-hint csv-file-error"
          />
          <FieldError id="csv-file-error" text={errors.file} />
        </div>

        {file && preview ? (
          <fieldset>
            <legend>Preview</legend>
            {preview.rows.length === 0 ? (
              <p>This file looks empty.</p>
            ) : (
              <PreviewTable file={file} preview={preview} column={column} />
            )}
            <label for="email-column">Email column</label>
            <select
              id="email-column"
              value={column === null ? '' : String(column)}
              onChange={(e) =>
                setColumn(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))
              }
              aria-invalid={invalid('email_column')}
              aria-describedby="email-column-hint email-column-error"
            >
              {column === null ? <option value="">Let mailsift look for it</option> : null}
              {Array.from({ length: preview.width }, (_, i) => (
                <option value={String(i)}>{columnLabel(preview, i)}</option>
              ))}
            </select>
            <p class="hint" id="email-column-hint">
              {preview.emailColumn === null
                ? 'No column looks like email addresses in the first rows: choose the one that holds them.'
                : 'Detected from the first rows; choose another column if this is not the right one.'}
            </p>
            <FieldError id="email-column-error" text={errors.email_column} />
          </fieldset>
        ) : null}

        <label for="job-name">Name</label>
        <input
          id="job-name"
          type="text"
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={invalid('name')}
          aria-describedby="job-name-error"
        />
        <FieldError id="job-name-error" text={errors.name} />

        <div class="check">
          <input
            id="quick-mode"
            type="checkbox"
            checked={quick}
            onChange={(e) => setQuick(e.currentTarget.checked)}
            aria-describedby="quick-mode-hint"
          />
          <label for="quick-mode">Quick mode</label>
          <p class="hint" id="quick-mode-hint">
            Syntax, domain and list checks only: faster, but mailboxes are not asked.
          </p>
        </div>
        <div class="check">
          <input
            id="smtp"
            type="checkbox"
            checked={smtpAvailable && smtp && !quick}
            disabled={!smtpAvailable || quick}
            onChange={(e) => setSmtp(e.currentTarget.checked)}
            aria-invalid={invalid('smtp')}
            aria-describedby="smtp-hint smtp-error"
          />
          <label for="smtp">SMTP probe</label>
          <p class="hint" id="smtp-hint">
            {!smtpAvailable
              ? `Not available: the SMTP probe is not part of the ${session.account.plan} plan.`
              : quick
                ? 'Off in quick mode.'
                : "Asks each mailbox's mail server whether the address exists (no mail is sent)."}
          </p>
          <FieldError id="smtp-error" text={errors.smtp} />
        </div>

        <label for="webhook-url">Webhook URL (optional)</label>
        <input
          id="webhook-url"
          type="url"
          inputMode="url"
          placeholder="https://example.com/hooks/mailsift"
          value={webhook}
          onInput={(e) => setWebhook(e.currentTarget.value)}
          aria-invalid={invalid('webhook_url')}
          aria-describedby="webhook-url-hint webhook-url-error"
        />
        <p class="hint" id="webhook-url-hint">
          mailsift sends a signed POST there when the job ends.
        </p>
        <FieldError id="webhook-url-error" text={errors.webhook_url} />

        <div class="actions">
          <button id="start" type="submit" disabled={busy} aria-describedby="start-error">
            {busy ? 'Uploading…' : 'Clean this list'}
          </button>
        </div>
        <FieldError id="start-error" text={errors.submit ?? errors.key ?? errors.email} />
        <div aria-live="polite" data-testid="upload-progress">
          {progress ? (
            <>
              <progress max={progress.total} value={progress.sent} aria-label="Upload progress" />
              <p>
                Uploaded {formatBytes(progress.sent)} of {formatBytes(progress.total)} ({pct} %)
                {progress.sent >= progress.total ? '; checking the file…' : ''}
              </p>
            </>
          ) : null}
        </div>
      </form>
    </>
  );
}
