import { describe, expect, it } from 'vitest';
import { subjectCheck } from './workspace-revisions.ts';

describe('subjectCheck', () => {
  it("expects the run's own revision of a path it has written", () => {
    expect(subjectCheck(42, 0)).toEqual({ expect: 42 });
  });

  it('expects no own write for a file that must not exist yet, or that is as inherited', () => {
    expect(subjectCheck(0, 0)).toEqual({ expect: 0 });
    expect(subjectCheck(17, 17)).toEqual({ expect: 0 });
  });

  it('conflicts at once when a file that must not exist is inherited', () => {
    expect(subjectCheck(0, 17)).toEqual({ conflict: true });
  });

  it("checks any other revision against the run's own subject, where an inherited one never is", () => {
    expect(subjectCheck(9, 17)).toEqual({ expect: 9 });
  });

  it("expects the run's own deletion of a path for a write of a file that must not exist, inherited or not", () => {
    expect(subjectCheck(0, 17, 30)).toEqual({ expect: 30 });
    expect(subjectCheck(0, 0, 30)).toEqual({ expect: 30 });
    // A file read before the deletion: checked by the stream, which finds the deletion, a conflict.
    expect(subjectCheck(17, 17, 30)).toEqual({ expect: 0 });
    expect(subjectCheck(25, 0, 30)).toEqual({ expect: 25 });
  });
});
