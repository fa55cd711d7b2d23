import { describe, expect, it } from "vitest";
import { buildEntityQuery, buildFacetsQuery, entityPath, filterToString, parseEntityRef, stringifyEntityRef } from "../src/api/query";
import { filterFromParams } from "../src/routeData";

describe("catalog query builder", () => {
  it("joins keys of one filter set with commas and repeats keys for several values", () => {
    expect(filterToString({ kind: "component", "spec.type": ["service", "website"], "spec.owner": undefined })).toBe(
      "kind=component,spec.type=service,spec.type=website",
    );
  });

  it("builds by-query parameters in Backstage's shape", () => {
    const params = buildEntityQuery({
      filters: [{ kind: "component", "spec.type": "service" }, { kind: "api" }],
      fullTextFilterTerm: "  pay ",
      fullTextFilterFields: ["metadata.name", "metadata.title"],
      orderField: [{ field: "metadata.name", order: "asc" }],
      fields: ["kind", "metadata.name"],
      limit: 20,
    });
    expect(params.getAll("filter")).toEqual(["kind=component,spec.type=service", "kind=api"]);
    expect(params.get("fullTextFilterTerm")).toBe("pay");
    expect(params.get("fullTextFilterFields")).toBe("metadata.name,metadata.title");
    expect(params.get("orderField")).toBe("metadata.name,asc");
    expect(params.get("fields")).toBe("kind,metadata.name");
    expect(params.get("limit")).toBe("20");
    expect(params.toString()).toContain("filter=kind%3Dcomponent%2Cspec.type%3Dservice");
  });

  it("sends only cursor, limit and fields when paging with a cursor", () => {
    const params = buildEntityQuery({ filters: [{ kind: "component" }], fullTextFilterTerm: "pay", cursor: "abc", limit: 20, fields: ["kind"] });
    expect([...params.keys()].sort()).toEqual(["cursor", "fields", "limit"]);
    expect(params.get("cursor")).toBe("abc");
  });

  it("leaves out empty filters and blank terms", () => {
    const params = buildEntityQuery({ filters: [{}, { kind: "" }], fullTextFilterTerm: "   " });
    expect(params.toString()).toBe("");
  });

  it("refuses a value with a comma rather than silently changing the query", () => {
    expect(() => filterToString({ "metadata.name": "a,b" })).toThrow(/comma/);
  });

  it("builds facet queries with repeated facet parameters and the current filter", () => {
    const params = buildFacetsQuery(["kind", "spec.type"], [{ kind: "Component" }]);
    expect(params.getAll("facet")).toEqual(["kind", "spec.type"]);
    expect(params.getAll("filter")).toEqual(["kind=Component"]);
  });

  it("maps the catalog URL's facet parameters to one filter set", () => {
    const filter = filterFromParams(new URLSearchParams("q=pay&kind=Component&type=service&tag=dotnet&tag=grpc&owner="));
    expect(filter).toEqual({ kind: ["Component"], "spec.type": ["service"], "metadata.tags": ["dotnet", "grpc"] });
  });

  it("parses and prints entity refs", () => {
    expect(parseEntityRef("Component:default/payments-api")).toEqual({ kind: "component", namespace: "default", name: "payments-api" });
    expect(parseEntityRef("team-a", { kind: "group" })).toEqual({ kind: "group", namespace: "default", name: "team-a" });
    expect(stringifyEntityRef({ kind: "API", name: "payments" })).toBe("api:default/payments");
    expect(entityPath("component:ops/a b")).toBe("/catalog/ops/component/a%20b");
  });
});
