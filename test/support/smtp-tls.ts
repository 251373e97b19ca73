/**
 * Self-signed certificates made with the openssl CLI (Node has no API to create X.509
 * certificates): one for the scripted SMTP servers' STARTTLS, which the verifier must accept
 * (opportunistic STARTTLS does not authenticate the server, RFC 3207 4.1, RFC 7435), and others
 * for https webhook receivers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Certificate {
  key: string;
  cert: string;
}

/** A new self-signed EC certificate for `commonName`, also naming `altNames` (DNS names). */
export function selfSignedCertificate(commonName: string, altNames: string[] = []): Certificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const san =
      altNames.length > 0
        ? ['-addext', `subjectAltName=${altNames.map((n) => `DNS:${n}`).join(',')}`]
        : [];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
        ...san,
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let cached: Certificate | null = null;

/** The SMTP servers' certificate, made once per process. */
export function testCertificate(): Certificate {
  cached ??= selfSignedCertificate('mx.test');
  return cached;
}
