namespace IdpServerless.Tests.Catalog;

/// <summary>
/// A catalog written for Backstage with every kind and every relation type, refs written every way Backstage allows
/// (full, without namespace, without kind, with a namespace but no kind), across a Location entity's targets.
/// </summary>
public static class BackstageCatalog
{
    public const string Root = """
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata:
          name: example-root
        spec:
          type: file
          targets:
            - ./org.yaml
            - ./software/system.yaml
        """;

    public const string Org = """
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: parent-group
        spec:
          type: department
          children: [child-group]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: child-group
          description: The team that owns the service
        spec:
          type: team
          parent: parent-group
          children: []
          members: [jane]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata:
          name: jane
          annotations:
            slack.com/user-id: U123JANE
        spec:
          profile:
            displayName: Jane Doe
            email: Jane@Example.com
          memberOf: [child-group]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata:
          name: sam
          namespace: ops
        spec:
          memberOf: [group:default/child-group, shift]
        """;

    public const string Software = """
        apiVersion: backstage.io/v1alpha1
        kind: Domain
        metadata:
          name: dom
        spec:
          owner: parent-group
        ---
        apiVersion: backstage.io/v1alpha1
        kind: System
        metadata:
          name: sys
        spec:
          owner: group:child-group
          domain: dom
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: svc
          title: The Service
          tags: [java]
        spec:
          type: service
          lifecycle: production
          owner: child-group
          system: sys
          providesApis: [svc-api]
          dependsOn: [resource:db]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: worker
        spec:
          type: service
          lifecycle: experimental
          owner: user:jane
          subcomponentOf: svc
          consumesApis: [default/svc-api]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata:
          name: svc-api
        spec:
          type: openapi
          lifecycle: production
          owner: child-group
          system: sys
          definition: |
            openapi: 3.0.0
            info: {title: svc, version: 1.0.0}
            paths: {}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Resource
        metadata:
          name: db
        spec:
          type: database
          owner: child-group
          system: sys
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Resource
        metadata:
          name: cache
        spec:
          type: cache
          owner: child-group
          dependencyOf: [component:svc]
        ---
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata:
          name: new-service
        spec:
          type: service
          owner: parent-group
          parameters:
            - title: Name
              properties:
                name: {type: string}
          steps:
            - id: fetch
              action: fetch:template
              input: {url: ./skeleton}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: cart
          namespace: shop
        spec:
          type: website
          lifecycle: production
          owner: team-shop
        """;

    /// <summary>Writes the catalog into the app's folder; returns the root file.</summary>
    public static string WriteTo(CatalogTestApp app)
    {
        app.Write("org.yaml", Org);
        app.Write("software/system.yaml", Software);
        return app.Write("catalog-info.yaml", Root);
    }
}
