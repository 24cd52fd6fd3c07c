import type { z } from 'zod';

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };

/**
 * Paths of `value` that `schema` does not describe: keys of an object schema's shape that the value has
 * and the shape lacks. The report schemas are loose (a newer ticker's fields pass); this says whether
 * every field this ticker writes is checked by them.
 */
export function undescribedFields(schema: z.ZodType, value: unknown, path = ''): string[] {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return value === undefined || value === null ? [] : undescribedFields(def.innerType!, value, path);
    case 'pipe':
      return undescribedFields(def.in!, value, path);
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, k) => undescribedFields(def.element!, v, `${path}[${k}]`)) : [];
    case 'record':
      return value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => undescribedFields(def.valueType!, v, `${path}.${k}`)) : [];
    case 'union': {
      const each = def.options!.map((o) => undescribedFields(o, value, path));
      return each.reduce((best, e) => (e.length < best.length ? e : best));
    }
    case 'object': {
      if (!value || typeof value !== 'object') return [];
      const shape = def.shape!;
      return Object.entries(value).flatMap(([k, v]) => (k in shape ? undescribedFields(shape[k]!, v, `${path}.${k}`) : [`${path}.${k}`]));
    }
    default:
      return [];
  }
}
