// Client-side mirror of the JSON Schema checks the scaffolder applies to template parameters.
import type { JsonSchema } from "../api/types";

export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "string-array" | "enum-array" | "unsupported";

/** Raw form state: text for strings and numbers (so a half-typed "1." survives), booleans, string lists. */
export type RawValue = string | boolean | string[] | undefined;
export type RawValues = Record<string, RawValue>;
export type FieldErrors = Record<string, string[]>;

function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type;
}

export function fieldKind(schema: JsonSchema): FieldKind {
  const type = primaryType(schema);
  if (Array.isArray(schema.enum) && (type === undefined || type === "string" || type === "number" || type === "integer")) return "enum";
  switch (type) {
    case "string": return "string";
    case "number": return "number";
    case "integer": return "integer";
    case "boolean": return "boolean";
    case "array": {
      const items = schema.items ?? {};
      if (Array.isArray(items.enum)) return "enum-array";
      return primaryType(items) === "string" || items.type === undefined ? "string-array" : "unsupported";
    }
    default: return "unsupported";
  }
}

/** Properties in display order: `ui:order` first (with "*" for the rest), then declaration order. */
export function orderedFields(schema: JsonSchema): [string, JsonSchema][] {
  const props = Object.entries(schema.properties ?? {});
  const order = schema["ui:order"];
  if (!Array.isArray(order)) return props;
  const named = order.filter((n): n is string => typeof n === "string" && n !== "*");
  const byName = new Map(props);
  const first = named.filter((n) => byName.has(n)).map((n) => [n, byName.get(n)!] as [string, JsonSchema]);
  const rest = props.filter(([n]) => !named.includes(n));
  return [...first, ...rest];
}

export function initialRaw(schema: JsonSchema): RawValue {
  const kind = fieldKind(schema);
  const d = schema.default;
  switch (kind) {
    case "boolean": return typeof d === "boolean" ? d : false;
    case "string-array":
    case "enum-array": return Array.isArray(d) ? d.map(String) : [];
    default: return d === undefined || d === null ? "" : String(d);
  }
}

export function initialValues(schemas: JsonSchema[]): RawValues {
  const values: RawValues = {};
  for (const s of schemas) for (const [name, prop] of orderedFields(s)) values[name] = initialRaw(prop);
  return values;
}

/** Typed value for submission; undefined means "not provided" (left out of `values`). */
export function coerce(schema: JsonSchema, raw: RawValue): unknown {
  const kind = fieldKind(schema);
  if (kind === "boolean") return raw === true;
  if (kind === "string-array" || kind === "enum-array") {
    const list = (Array.isArray(raw) ? raw : []).map((v) => v.trim()).filter((v) => v !== "");
    return list.length ? list : undefined;
  }
  const text = typeof raw === "string" ? raw : "";
  if (text.trim() === "") return undefined;
  const type = primaryType(schema);
  if (kind === "number" || kind === "integer" || (kind === "enum" && (type === "number" || type === "integer"))) {
    const n = Number(text.trim());
    return Number.isNaN(n) ? text : n;
  }
  return text;
}

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function checkString(schema: JsonSchema, value: string, errors: string[]) {
  // JSON Schema counts code points, not UTF-16 units.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) errors.push(`Must be at least ${plural(schema.minLength, "character")}`);
  if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`Must be at most ${plural(schema.maxLength, "character")}`);
  if (schema.pattern) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(schema.pattern, "u");
    } catch {
      re = null; // a pattern JS cannot compile is left to the server
    }
    if (re && !re.test(value)) errors.push(`Must match the pattern ${schema.pattern}`);
  }
}

export function validateField(schema: JsonSchema, raw: RawValue, required: boolean): string[] {
  const errors: string[] = [];
  const kind = fieldKind(schema);
  const value = coerce(schema, raw);
  if (value === undefined) {
    if (required) errors.push(kind === "string-array" || kind === "enum-array" ? "Add at least one value" : "This field is required");
    return errors;
  }
  switch (kind) {
    case "boolean":
      if (required && value !== true && schema.const === true) errors.push("This must be checked");
      break;
    case "string":
      checkString(schema, value as string, errors);
      break;
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        errors.push("Must be a number");
        break;
      }
      if (kind === "integer" && !Number.isInteger(value)) errors.push("Must be a whole number");
      if (schema.minimum !== undefined && value < schema.minimum) errors.push(`Must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) errors.push(`Must be at most ${schema.maximum}`);
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`Must be greater than ${schema.exclusiveMinimum}`);
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) errors.push(`Must be less than ${schema.exclusiveMaximum}`);
      break;
    }
    case "enum":
      if (!(schema.enum ?? []).some((e) => e === value)) errors.push(`Must be one of: ${(schema.enum ?? []).join(", ")}`);
      break;
    case "string-array":
    case "enum-array": {
      const list = value as string[];
      const items = schema.items ?? {};
      if (schema.minItems !== undefined && list.length < schema.minItems) errors.push(`Add at least ${plural(schema.minItems, "value")}`);
      if (schema.maxItems !== undefined && list.length > schema.maxItems) errors.push(`Add at most ${plural(schema.maxItems, "value")}`);
      if (schema.uniqueItems && new Set(list).size !== list.length) errors.push("Values must be unique");
      list.forEach((item, i) => {
        const itemErrors: string[] = [];
        if (kind === "enum-array") {
          if (!(items.enum ?? []).includes(item)) itemErrors.push(`Must be one of: ${(items.enum ?? []).join(", ")}`);
        } else {
          checkString(items, item, itemErrors);
        }
        for (const e of itemErrors) errors.push(`Item ${i + 1}: ${e}`);
      });
      break;
    }
    default:
      break;
  }
  return errors;
}

export function validateStep(schema: JsonSchema, values: RawValues): FieldErrors {
  const required = new Set(schema.required ?? []);
  const result: FieldErrors = {};
  for (const [name, prop] of orderedFields(schema)) {
    if (fieldKind(prop) === "unsupported") continue;
    const errors = validateField(prop, values[name], required.has(name));
    if (errors.length) result[name] = errors;
  }
  return result;
}

export function collectValues(schemas: JsonSchema[], values: RawValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of schemas) {
    for (const [name, prop] of orderedFields(s)) {
      if (fieldKind(prop) === "unsupported") continue;
      const v = coerce(prop, values[name]);
      if (v !== undefined) out[name] = v;
    }
  }
  return out;
}

/**
 * Maps a server 422 `errors` object onto form fields. Keys may be `name`, `values.name`, `/name` or `$.values.name`;
 * anything that is not a known field is returned under "" for a form-level message.
 */
export function mapServerErrors(errors: Record<string, string[]>, fieldNames: string[]): FieldErrors {
  const known = new Set(fieldNames);
  const result: FieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const cleaned = key.replace(/^\$\.?/, "").replace(/^\//, "").replace(/^values[./]/i, "").split(/[./[]/)[0];
    const target = known.has(cleaned) ? cleaned : [...known].find((f) => f.toLowerCase() === cleaned.toLowerCase()) ?? "";
    result[target] = [...(result[target] ?? []), ...messages.map((m) => (target || !key ? m : `${key}: ${m}`))];
  }
  return result;
}
