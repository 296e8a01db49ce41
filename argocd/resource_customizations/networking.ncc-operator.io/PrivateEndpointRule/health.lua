-- ArgoCD health check for the ncc-operator kinds (networking.ncc-operator.io): the same rules for
-- DatabricksAccount, NetworkConnectivityConfig and PrivateEndpointRule, which share their
-- condition vocabulary (docs/api.md). Lua 5.1, as ArgoCD runs it (gopher-lua).
--   Suspended    paused (annotation ncc-operator.io/paused: "true", or Synced=False ReconcilePaused)
--   Progressing  the operator has not observed this generation yet; Creating, AwaitingApproval,
--                waiting on a reference, a transient error being retried
--   Degraded     Ready reason Rejected, Disconnected, Expired or CreateFailed, or a terminal
--                Synced=False (a person must act: the spec, a conflict, permissions, credentials)
--   Healthy      Ready=True for the current generation
local hs = {}
local DEGRADED_READY = {Rejected = true, Disconnected = true, Expired = true, CreateFailed = true}
local TERMINAL_SYNCED = {
  InvalidSpec = true, Conflict = true, NotAllowed = true, NamespaceNotAllowed = true,
  AuthFailed = true, NotDetachable = true,
}

local function condition(conditions, kind)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
local status = obj.status or {}
local ready = condition(status.conditions, "Ready")
local synced = condition(status.conditions, "Synced")

if annotations["ncc-operator.io/paused"] == "true"
    or (synced ~= nil and synced.status == "False" and synced.reason == "ReconcilePaused") then
  hs.status = "Suspended"
  hs.message = "Paused: the operator does not act on this object (annotation ncc-operator.io/paused)."
  return hs
end

if status.observedGeneration == nil or status.observedGeneration ~= metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(metadata.generation) .. "."
  return hs
end

if ready ~= nil and ready.status ~= "True" and DEGRADED_READY[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end

if synced ~= nil and synced.status == "False" and TERMINAL_SYNCED[synced.reason] then
  hs.status = "Degraded"
  hs.message = describe(synced)
  return hs
end

if ready ~= nil and ready.status == "True"
    and (ready.observedGeneration == nil or ready.observedGeneration == metadata.generation) then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
if synced ~= nil and synced.status == "False" then
  hs.message = describe(synced)
elseif ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the Ready condition."
end
return hs
