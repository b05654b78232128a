/** Token of the store as its adapter provides it (before DedupModule wraps it with metrics). */
export const RAW_STORE = Symbol('ufs.RawMetadataStore');
