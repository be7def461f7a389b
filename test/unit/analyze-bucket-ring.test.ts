/**
 * BucketRing's views: the list a reader holds stays the ring's list (pushes and drops show in
 * it), and a view held across the ring growing and dropping its oldest buckets still reads its
 * own bucket (views name buckets by sequence number, not slot).
 */
import { describe, expect, it } from 'vitest';
import { Bucket } from '../../src/analyze/buckets.js';
import { BucketRing } from '../../src/analyze/bucket-ring.js';

function bucket(b: number): Bucket {
  const x = new Bucket();
  x.b = b;
  x.t = (b + 0.5) * 1000;
  x.sys = b * 10;
  x.samples = b % 7;
  x.life = b >> 4;
  return x;
}

describe('BucketRing views', () => {
  it('keep the list a reader holds in step with pushes and drops', () => {
    const ring = new BucketRing(1000, 40);
    for (let b = 0; b < 10; b++) ring.push(bucket(b));
    const list = ring.views;
    expect(ring.views).toBe(list);
    ring.push(bucket(10));
    ring.dropFront(3);
    expect(ring.views).toBe(list);
    expect(list.map((v) => v.b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(list.map((v) => v.t)).toEqual([3, 4, 5, 6, 7, 8, 9, 10].map((b) => (b + 0.5) * 1000));
  });

  it('a view held across growing and dropping still reads its own bucket', () => {
    const ring = new BucketRing(1000, 200);
    for (let b = 0; b < 12; b++) ring.push(bucket(b));
    const held = ring.views[11];
    // The ring wraps (drops at the front, pushes at the back) and grows several times.
    for (let b = 12; b < 150; b++) {
      ring.push(bucket(b));
      if (b % 20 === 0) ring.dropFront(1);
    }
    expect({ b: held.b, sys: held.sys, samples: held.samples, life: held.life }).toEqual({ b: 11, sys: 110, samples: 11 % 7, life: 0 });
    const fresh = ring.views;
    expect(fresh).toHaveLength(ring.length);
    for (let i = 0; i < fresh.length; i++) expect(fresh[i].b).toBe(ring.bAt(i));
    expect(fresh.map((v) => v.sys)).toEqual(fresh.map((v) => v.b * 10));
  });

  it('reserve: room for a history at once, keeping what it holds, never past the expected size', () => {
    const ring = new BucketRing(1000, 300);
    for (let b = 0; b < 5; b++) ring.push(bucket(b));
    ring.reserve(200);
    const reserved = ring.bytes;
    for (let b = 5; b < 200; b++) ring.push(bucket(b));
    expect(ring.bytes).toBe(reserved);
    expect(ring.views.map((v) => v.sys)).toEqual(Array.from({ length: 200 }, (_, b) => b * 10));
    ring.reserve(10_000);
    const full = ring.bytes;
    expect(full / reserved).toBeCloseTo(300 / 200, 1);
    for (let b = 200; b < 300; b++) ring.push(bucket(b));
    expect(ring.bytes).toBe(full);
    expect(ring.views.map((v) => v.b)).toEqual(Array.from({ length: 300 }, (_, b) => b));
  });
});
