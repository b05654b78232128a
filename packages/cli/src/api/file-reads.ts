/**
 * Bytes per read of a file being uploaded: a sixteenth of the reads and buffers of Node's 64 KiB default, which cost
 * the scanner ~1.7 CPU-seconds per GiB sent (on a 2-core machine, CPU taken from the server it sends to).
 */
export const READ_BUFFER = 1 << 20;
