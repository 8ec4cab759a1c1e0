/**
 * Shared test data for the gob codec's tests.
 * @module
 */

/** `Point{X: 22, Y: 33}` as encoding/gob's documentation shows it: a type definition, then the value. */
export const GOB_POINT_EXAMPLE: Uint8Array = Uint8Array.from(
  "1fff8103010105506f696e7401ff82000102010158010400010159010400000007ff82012c014200".match(/../g)!,
  (pair) => parseInt(pair, 16),
);
