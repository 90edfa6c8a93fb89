// The generated clients ship their endpoint rules as ES modules without a declaration beside
// them (their types live in dist-types/); src/ecr/api.ts uses the rules alone, not the clients.
type EndpointParams = { Region: string; UseFIPS: boolean; UseDualStack: boolean; Endpoint?: string };
type EndpointResolver = (params: EndpointParams) => { url: URL };

declare module "@aws-sdk/client-ecr/dist-es/endpoint/endpointResolver.js" {
  export const defaultEndpointResolver: EndpointResolver;
}
declare module "@aws-sdk/client-ecr-public/dist-es/endpoint/endpointResolver.js" {
  export const defaultEndpointResolver: EndpointResolver;
}
