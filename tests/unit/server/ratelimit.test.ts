import { describe, expect, it } from 'vitest';
import { addressBucket, perMinute } from '../../../src/lib/server/ratelimit';

describe('addressBucket', () => {
  it('keeps IPv4 and IPv4-mapped IPv6 as the full IPv4 address', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(addressBucket('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('203.0.113.8')).not.toBe(addressBucket('203.0.113.7'));
  });

  it('buckets IPv6 by its /64, whatever the spelling', () => {
    const b = addressBucket('2001:db8:1:2::1');
    expect(b).toBe('2001:db8:1:2::/64');
    for (const a of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:9', '2001:db8:1:2::1.2.3.4', '2001:db8:1:2::5%eth0']) {
      expect(addressBucket(a)).toBe(b);
    }
    expect(addressBucket('2001:db8:1:3::1')).not.toBe(b);
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });

  it('passes anything else through', () => {
    expect(addressBucket('unknown')).toBe('unknown');
  });

  it('makes a whole /64 share one budget', () => {
    const limiter = perMinute(2, () => 0);
    const take = (a: string) => limiter.take(addressBucket(a)).ok;
    expect(take('2001:db8:1:2::1')).toBe(true);
    expect(take('2001:db8:1:2::2')).toBe(true);
    expect(take('2001:db8:1:2:abcd::3')).toBe(false);
    expect(take('2001:db8:1:3::1')).toBe(true);
    expect(take('::ffff:10.0.0.1')).toBe(true);
    expect(take('10.0.0.1')).toBe(true);
    expect(take('10.0.0.1')).toBe(false);
    limiter.close();
  });
});
