// AWS Signature Version 4 as the S3 documentation's worked example computes it ("GET Object", examplebucket).
import { describe, expect, it } from '@jest/globals';
import { signRequest } from '../../activities/s3Client.js';

describe('S3 request signing (SigV4)', () => {
  it("reproduces the signature of AWS's documented GET Object example", () => {
    const headers = signRequest(
      { endpoint: 'https://examplebucket.s3.amazonaws.com', bucket: 'examplebucket', region: 'us-east-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      'GET', '/test.txt', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', new Date('2013-05-24T00:00:00Z'), { Range: 'bytes=0-9' },
    );
    expect(headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
      + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });
});
