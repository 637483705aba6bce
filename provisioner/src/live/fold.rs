//! The fold of one segment's containers: Docker events and listings in, a `docker ps`-like
//! list out.
//!
//! Events may come late, twice or out of order (a reconnection replays them with `since`),
//! and some are lost when dockerd restarts; a listing then resynchronises. Every field of a
//! container remembers the time of the fact that set it, and a fact only replaces an older
//! one: the result depends on which facts arrived, not on their order, and a listing at
//! time `T` stands for every event up to `T`.

use std::collections::BTreeMap;

/// One container as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedContainer {
    /// The short (12 character) id.
    pub id: String,
    pub name: String,
    pub image: String,
    /// created, running, paused, exited...
    pub state: String,
    /// healthy, unhealthy or starting, for containers with a health check that reported
    /// since their last start.
    pub health: Option<String>,
    /// When it was created, in Unix seconds.
    pub created_at: i64,
    /// Carina's own containers (swarm-data, swarm-manager).
    pub infrastructure: bool,
    /// The Swarm service or compose project it belongs to.
    pub group: Option<String>,
    /// What it reserves of its segment (`--memory`, `--cpus`), as classic Swarm counted;
    /// zero until read (a listing does not say).
    pub reserved: Reserved,
}

/// A container's reservations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reserved {
    /// Bytes (`HostConfig.Memory`).
    pub memory: i64,
    /// Thousandths of a CPU (`HostConfig.NanoCpus`).
    pub millicpu: i64,
}

/// What an event did to a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Start,
    Die,
    Pause,
    Unpause,
    Destroy,
    Rename,
    /// `docker update`: its reservations may have changed.
    Update,
    /// `health_status: healthy` and the like.
    Health(String),
    /// Anything else (attach, kill, exec...): only its name and image count.
    Other,
}

impl Action {
    /// Docker's action word, as `/events` sends it.
    pub fn parse(word: &str) -> Action {
        match word {
            "create" => Action::Create,
            "start" => Action::Start,
            "die" => Action::Die,
            "pause" => Action::Pause,
            "unpause" => Action::Unpause,
            "destroy" => Action::Destroy,
            "rename" => Action::Rename,
            "update" => Action::Update,
            _ => match word.strip_prefix("health_status: ") {
                Some(health) => Action::Health(health.trim().to_owned()),
                None => Action::Other,
            },
        }
    }

    /// The state this action leaves the container in, if it changes it.
    fn state(&self) -> Option<&'static str> {
        match self {
            Action::Create => Some("created"),
            Action::Start | Action::Unpause => Some("running"),
            Action::Die => Some("exited"),
            Action::Pause => Some("paused"),
            _ => None,
        }
    }

    /// The health this action leaves: a start or a death forgets the last report.
    fn health(&self) -> Option<Option<String>> {
        match self {
            Action::Start | Action::Die => Some(None),
            Action::Health(h) => Some(Some(h.clone())),
            _ => None,
        }
    }

    /// Breaks ties between facts of the same nanosecond, so that the result never
    /// depends on arrival order.
    fn rank(&self) -> u8 {
        match self {
            Action::Create => 0,
            Action::Start => 1,
            Action::Health(_) => 2,
            Action::Unpause => 3,
            Action::Pause => 4,
            Action::Die => 5,
            Action::Rename | Action::Update | Action::Other => 6,
            Action::Destroy => 7,
        }
    }
}

/// One container event, as the fold needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerEvent {
    /// The short (12 character) id.
    pub id: String,
    pub action: Action,
    /// Unix nanoseconds.
    pub at: i64,
    pub name: String,
    pub image: String,
    pub infrastructure: bool,
    pub group: Option<String>,
}

/// When a fact happened: its time, then the rank of its action (a listing ranks above
/// every event of its nanosecond, since it was taken after them).
type Stamp = (i64, u8);
const LISTING_RANK: u8 = u8::MAX;

#[derive(Clone, Debug)]
struct Field<T> {
    value: T,
    at: Stamp,
}

impl<T> Field<T> {
    fn new(value: T, at: Stamp) -> Self {
        Field { value, at }
    }

    /// Replaces the value with a newer fact; an older or equal one is ignored.
    fn offer(&mut self, value: T, at: Stamp) {
        if at > self.at {
            *self = Field { value, at };
        }
    }
}

#[derive(Clone, Debug)]
struct Identity {
    name: String,
    image: String,
    infrastructure: bool,
    group: Option<String>,
}

#[derive(Clone, Debug)]
struct Entry {
    identity: Field<Identity>,
    /// `None` until a fact says (an event that arrived before the container's create).
    state: Field<Option<String>>,
    health: Field<Option<String>>,
    /// Unix seconds; `None` until the create event or a listing says.
    created_at: Option<i64>,
    /// Set once destroyed: ids are never reused, so it stays gone.
    destroyed: Option<i64>,
    /// `None` until read, and again after a `docker update`.
    reserved: Option<Reserved>,
}

/// A segment's containers, folded from events and listings.
#[derive(Clone, Debug, Default)]
pub struct Fold {
    entries: BTreeMap<String, Entry>,
    /// The time of the newest listing: older events about containers it did not hold are
    /// about containers gone since, and are ignored.
    floor: i64,
}

impl Fold {
    /// Folds one event in.
    pub fn apply(&mut self, event: ContainerEvent) {
        let at = (event.at, event.action.rank());
        let identity =
            Identity { name: event.name, image: event.image, infrastructure: event.infrastructure, group: event.group };
        let entry = match self.entries.get_mut(&event.id) {
            Some(entry) => entry,
            None if event.at <= self.floor => return,
            None => self.entries.entry(event.id).or_insert(Entry {
                identity: Field::new(identity.clone(), at),
                state: Field::new(None, (i64::MIN, 0)),
                health: Field::new(None, (i64::MIN, 0)),
                created_at: None,
                destroyed: None,
                reserved: None,
            }),
        };
        if entry.destroyed.is_some() {
            return;
        }
        entry.identity.offer(identity, at);
        if let Some(state) = event.action.state() {
            entry.state.offer(Some(state.to_owned()), at);
        }
        if let Some(health) = event.action.health() {
            entry.health.offer(health, at);
        }
        match event.action {
            Action::Create => entry.created_at = Some(event.at.div_euclid(1_000_000_000)),
            Action::Destroy => entry.destroyed = Some(event.at),
            Action::Update => entry.reserved = None,
            _ => {}
        }
    }

    /// Resynchronises with a listing taken at `at` (Unix nanoseconds, read before the
    /// listing was asked for): it holds every container alive then, as it was then.
    pub fn resync(&mut self, listing: Vec<PlacedContainer>, at: i64) {
        let stamp = (at, LISTING_RANK);
        let mut listed = BTreeMap::new();
        for c in listing {
            listed.insert(c.id.clone(), c);
        }
        // Known containers the listing does not hold were destroyed before it, unless a
        // fact newer than the listing says otherwise (created since).
        self.entries.retain(|id, entry| {
            listed.contains_key(id) || entry.destroyed.is_some_and(|d| d > at) || entry.newest() > stamp
        });
        for (id, c) in listed {
            let identity = Identity { name: c.name, image: c.image, infrastructure: c.infrastructure, group: c.group };
            match self.entries.get_mut(&id) {
                Some(entry) => {
                    entry.identity.offer(identity, stamp);
                    entry.state.offer(Some(c.state), stamp);
                    entry.health.offer(c.health, stamp);
                    entry.created_at = Some(c.created_at);
                }
                None => {
                    self.entries.insert(
                        id,
                        Entry {
                            identity: Field::new(identity, stamp),
                            state: Field::new(Some(c.state), stamp),
                            health: Field::new(c.health, stamp),
                            created_at: Some(c.created_at),
                            destroyed: None,
                            reserved: None,
                        },
                    );
                }
            }
        }
        self.floor = self.floor.max(at);
        // Tombstones older than the floor are no longer needed: the floor turns away
        // their late events.
        let floor = self.floor;
        self.entries.retain(|_, entry| entry.destroyed.is_none_or(|d| d > floor));
    }

    /// The containers whose reservations are to be read (new, or updated).
    pub fn unreserved(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| e.destroyed.is_none() && e.reserved.is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records what a container reserves, as its inspection says.
    pub fn reserve(&mut self, id: &str, reserved: Reserved) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.reserved = Some(reserved);
        }
    }

    /// The containers alive, Carina's own last, then by name.
    pub fn containers(&self) -> Vec<PlacedContainer> {
        let mut list: Vec<PlacedContainer> = self
            .entries
            .iter()
            .filter(|(_, e)| e.destroyed.is_none())
            .map(|(id, e)| {
                let identity = &e.identity.value;
                PlacedContainer {
                    id: id.clone(),
                    name: identity.name.clone(),
                    image: identity.image.clone(),
                    // Only an event that came before the container's create leaves it
                    // unknown; Docker would say created.
                    state: e.state.value.clone().unwrap_or_else(|| "created".to_owned()),
                    health: e.health.value.clone(),
                    created_at: e.created_at.unwrap_or(0),
                    infrastructure: identity.infrastructure,
                    group: identity.group.clone(),
                    reserved: e.reserved.unwrap_or_default(),
                }
            })
            .collect();
        list.sort_by(|a, b| (a.infrastructure, &a.name, &a.id).cmp(&(b.infrastructure, &b.name, &b.id)));
        list
    }
}

impl Entry {
    fn newest(&self) -> Stamp {
        self.identity.at.max(self.state.at).max(self.health.at)
    }
}

/// The Swarm service or compose project named by a container's labels.
pub(super) fn group_of<'a>(mut label: impl FnMut(&str) -> Option<&'a str>) -> Option<String> {
    label("com.docker.swarm.service.name").or_else(|| label("com.docker.compose.project")).map(str::to_owned)
}

/// The health in Docker's status words ("Up 3 minutes (healthy)").
pub(super) fn health_of(status: &str) -> Option<String> {
    let inside = status.rsplit_once('(')?.1.strip_suffix(')')?;
    let health = inside.strip_prefix("health: ").unwrap_or(inside);
    matches!(health, "healthy" | "unhealthy" | "starting").then(|| health.to_owned())
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
