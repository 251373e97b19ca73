import { describe, expect, it } from 'vitest';
import {
  ReplyAssembler,
  SmtpProtocolError,
  ehloKeywords,
  parseReply,
} from '../../../src/validation/smtp-reply.ts';

describe('SMTP reply parsing (RFC 5321 4.2, RFC 3463)', () => {
  it('joins a multi-line reply and takes the enhanced code from its first line', () => {
    const r = parseReply([
      '550-5.1.1 The email account that you tried to reach does not exist. Please try',
      "550-5.1.1 double-checking the recipient's email address for typos or",
      '550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
    ]);
    expect(r.code).toBe(550);
    expect(r.enhanced).toBe('5.1.1');
    expect(r.text).toBe(
      "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
    );
  });

  it('reads a qmail-style (#5.1.1) code and ignores a code whose class disagrees with the reply', () => {
    expect(parseReply(['554 Unknown Recipient (#5.1.1)']).enhanced).toBe('5.1.1');
    expect(parseReply(['550 4.2.0 odd server']).enhanced).toBeNull();
    expect(parseReply(['250']).text).toBe('');
  });

  it('assembles replies line by line and rejects malformed or changing codes', () => {
    const a = new ReplyAssembler();
    expect(a.push('250-mx.example.com')).toBeNull();
    expect(a.push('250-STARTTLS')).toBeNull();
    const r = a.push('250 SMTPUTF8');
    expect(r && ehloKeywords(r)).toEqual(new Set(['STARTTLS', 'SMTPUTF8']));
    expect(() => new ReplyAssembler().push('hello')).toThrow(SmtpProtocolError);
    const b = new ReplyAssembler();
    b.push('250-first');
    expect(() => b.push('550 second')).toThrow(SmtpProtocolError);
    expect(() => new ReplyAssembler().push(`250 ${'x'.repeat(5000)}`)).toThrow(SmtpProtocolError);
  });
});
