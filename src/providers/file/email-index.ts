/**
 * Remembers, for each lowercased email, the location it was first seen at and a hash of how it
 * was spelled, to warn when a later row spells the same address with different case.
 *
 * A Map of a million email strings costs ~100 MB; this keeps two 32-bit hashes of the lowercased
 * address (a 63-bit fingerprint: a false match among a million addresses has a probability around
 * 1e-7 and would only cost a spurious warning — the merge itself is decided by the lowercased
 * email, not by this index), the first location and a hash of the spelling: 16 bytes a slot in
 * typed arrays, open addressing, growing to at most 2^21 slots (32 MB, ~1.5 million addresses).
 * Beyond that, new addresses are no longer remembered (those already remembered are still
 * checked) and `saturated` is set.
 */
export class EmailCaseIndex {
  static readonly MAX_SLOTS = 1 << 21;
  private slots: number;
  private mask: number;
  private keyA: Int32Array;
  private keyB: Int32Array;
  private spelling: Int32Array;
  private location: Int32Array;
  private size = 0;
  saturated = false;

  constructor(initialSlots = 1 << 14) {
    this.slots = initialSlots;
    this.mask = initialSlots - 1;
    this.keyA = new Int32Array(initialSlots);
    this.keyB = new Int32Array(initialSlots);
    this.spelling = new Int32Array(initialSlots);
    this.location = new Int32Array(initialSlots);
  }

  /**
   * Records `lower` (the normalized address) as spelled `raw` at `location` (a line or element
   * index, >= 0). Returns the first location when the address was seen before with a different
   * spelling, else -1.
   */
  check(lower: string, raw: string, location: number): number {
    // Two independent 32-bit hashes in one pass (FNV-1a and a murmur-style mix).
    let a = 0x811c9dc5 | 0;
    let b = 0x9747b28c | 0;
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a |= 1; // 0 marks an empty slot
    let spelled = 0;
    if (raw !== lower) {
      spelled = 0x811c9dc5 | 0;
      for (let i = 0; i < raw.length; i++) spelled = Math.imul(spelled ^ raw.charCodeAt(i), 0x01000193);
      spelled |= 1; // never 0, which stands for "spelled in lowercase"
    }
    let slot = (b ^ (a >>> 7)) & this.mask;
    for (;;) {
      const ka = this.keyA[slot];
      if (ka === 0) break;
      if (ka === a && this.keyB[slot] === b) {
        return this.spelling[slot] === spelled ? -1 : this.location[slot];
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.size >= this.slots * 0.5) {
      if (this.slots < EmailCaseIndex.MAX_SLOTS) {
        this.grow();
        return this.check(lower, raw, location);
      }
      if (this.size >= this.slots * 0.75) {
        this.saturated = true;
        return -1;
      }
    }
    this.keyA[slot] = a;
    this.keyB[slot] = b;
    this.spelling[slot] = spelled;
    this.location[slot] = location;
    this.size++;
    return -1;
  }

  get count(): number {
    return this.size;
  }

  private grow(): void {
    const { keyA, keyB, spelling, location, slots } = this;
    this.slots = slots * 2;
    this.mask = this.slots - 1;
    this.keyA = new Int32Array(this.slots);
    this.keyB = new Int32Array(this.slots);
    this.spelling = new Int32Array(this.slots);
    this.location = new Int32Array(this.slots);
    for (let i = 0; i < slots; i++) {
      const a = keyA[i];
      if (a === 0) continue;
      const b = keyB[i];
      let slot = (b ^ (a >>> 7)) & this.mask;
      while (this.keyA[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keyA[slot] = a;
      this.keyB[slot] = b;
      this.spelling[slot] = spelling[i];
      this.location[slot] = location[i];
    }
  }
}
