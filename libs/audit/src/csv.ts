// The CSV rules live in the domain, shared with the compliance board's export.
export { UTF8_BOM, csvRow } from '@fr/domain';
export type { CsvValue } from '@fr/domain';
