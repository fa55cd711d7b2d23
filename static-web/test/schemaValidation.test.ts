import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../src/api/types";
import { collectValues, fieldKind, initialValues, mapServerErrors, orderedFields, validateField, validateStep } from "../src/schemaForm/validate";

const step: JsonSchema = {
  type: "object",
  required: ["name", "owner", "replicas"],
  properties: {
    name: { type: "string", title: "Name", pattern: "^[a-z][a-z0-9-]*$", minLength: 3, maxLength: 20 },
    owner: { type: "string", title: "Owner" },
    replicas: { type: "integer", minimum: 1, maximum: 5, default: 2 },
    ratio: { type: "number", exclusiveMaximum: 1 },
    language: { type: "string", enum: ["csharp", "go"], default: "csharp" },
    public: { type: "boolean" },
    tags: { type: "array", items: { type: "string", pattern: "^[a-z]+$" }, minItems: 1, uniqueItems: true },
    regions: { type: "array", items: { type: "string", enum: ["eu", "us"] } },
    nested: { type: "object", properties: { a: { type: "string" } } },
  },
};

describe("JSON Schema form validation", () => {
  it("classifies the supported field kinds", () => {
    expect(Object.fromEntries(orderedFields(step).map(([n, s]) => [n, fieldKind(s)]))).toEqual({
      name: "string", owner: "string", replicas: "integer", ratio: "number", language: "enum", public: "boolean",
      tags: "string-array", regions: "enum-array", nested: "unsupported",
    });
  });

  it("starts from schema defaults", () => {
    const v = initialValues([step]);
    expect(v.replicas).toBe("2");
    expect(v.language).toBe("csharp");
    expect(v.public).toBe(false);
    expect(v.tags).toEqual([]);
  });

  it("reports required fields that are empty or whitespace", () => {
    const errors = validateStep(step, { ...initialValues([step]), name: "   ", tags: ["ok"] });
    expect(errors.name).toEqual(["This field is required"]);
    expect(errors.owner).toEqual(["This field is required"]);
    expect(errors.replicas).toBeUndefined();
  });

  it("checks pattern, minLength and maxLength on strings", () => {
    const s = step.properties!.name;
    expect(validateField(s, "Payments", true)).toEqual(["Must match the pattern ^[a-z][a-z0-9-]*$"]);
    expect(validateField(s, "ab", true)).toEqual(["Must be at least 3 characters"]);
    expect(validateField(s, "a".repeat(21), true)).toEqual(["Must be at most 20 characters"]);
    expect(validateField(s, "payments-api", true)).toEqual([]);
  });

  it("checks integers and bounds on numbers", () => {
    const r = step.properties!.replicas;
    expect(validateField(r, "0", true)).toEqual(["Must be at least 1"]);
    expect(validateField(r, "6", true)).toEqual(["Must be at most 5"]);
    expect(validateField(r, "2.5", true)).toEqual(["Must be a whole number"]);
    expect(validateField(r, "abc", true)).toEqual(["Must be a number"]);
    expect(validateField(r, "3", true)).toEqual([]);
    expect(validateField(step.properties!.ratio, "1", false)).toEqual(["Must be less than 1"]);
  });

  it("checks enums and string arrays item by item", () => {
    expect(validateField(step.properties!.language, "rust", false)).toEqual(["Must be one of: csharp, go"]);
    const tags = step.properties!.tags;
    expect(validateField(tags, [], true)).toEqual(["Add at least one value"]);
    expect(validateField(tags, ["a", "a"], true)).toEqual(["Values must be unique"]);
    expect(validateField(tags, ["ok", "Bad"], true)).toEqual(["Item 2: Must match the pattern ^[a-z]+$"]);
    expect(validateField(step.properties!.regions, ["eu", "mars"], false)).toEqual(["Item 2: Must be one of: eu, us"]);
  });

  it("leaves optional empty fields alone and out of the submitted values", () => {
    const values = collectValues([step], { name: "payments", owner: "group:default/team-a", replicas: "3", ratio: "", language: "go", public: true, tags: [" x "], regions: [] });
    expect(values).toEqual({ name: "payments", owner: "group:default/team-a", replicas: 3, language: "go", public: true, tags: ["x"] });
  });

  it("honours ui:order with a wildcard", () => {
    const s: JsonSchema = { properties: { a: { type: "string" }, b: { type: "string" }, c: { type: "string" } }, "ui:order": ["c", "*"] };
    expect(orderedFields(s).map(([n]) => n)).toEqual(["c", "a", "b"]);
  });

  it("maps server error keys onto form fields", () => {
    const mapped = mapServerErrors({ name: ["taken"], "values.owner": ["unknown group"], "$.values.Replicas": ["too many"], repoUrl: ["bad host"] }, ["name", "owner", "replicas"]);
    expect(mapped.name).toEqual(["taken"]);
    expect(mapped.owner).toEqual(["unknown group"]);
    expect(mapped.replicas).toEqual(["too many"]);
    expect(mapped[""]).toEqual(["repoUrl: bad host"]);
  });
});
