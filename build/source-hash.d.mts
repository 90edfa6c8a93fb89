export function sourceHash(root: string): string;
export function buildIdMarker(hash: string): string;
