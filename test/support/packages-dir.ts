// Where tests find FHIR packages (SDOHCC 3.0.0, US Core 7.0.0) in the package-cache layout.
// FHIR_PACKAGES_DIR wins; otherwise the `shared/fhir-packages` folder beside the checkout.
// In CI (CI=true) a missing directory is an error, never a silent skip.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const besideCheckout = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)), 'shared', 'fhir-packages');

export function packagesDir(): string | undefined {
  const dir = process.env.FHIR_PACKAGES_DIR ?? besideCheckout;
  if (existsSync(dir)) {
    return dir;
  }
  if (process.env.CI) {
    throw new Error('FHIR packages directory not found: set FHIR_PACKAGES_DIR');
  }
  return undefined;
}

export const packagesSkipReason = 'FHIR packages not found (set FHIR_PACKAGES_DIR to a package-cache folder with SDOHCC 3.0.0 and US Core 7.0.0)';

export const SDOHCC_PACKAGE = 'hl7.fhir.us.sdoh-clinicalcare#3.0.0';
export const US_CORE_PACKAGE = 'hl7.fhir.us.core#7.0.0';
