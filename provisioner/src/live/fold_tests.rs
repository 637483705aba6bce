//! The fold against a small model of dockerd: whatever arrives (every event, in any order,
//! twice, with a gap that a listing covers), it ends where `docker ps -a` would.

use proptest::prelude::*;

use super::*;

/// What a test script does to the simulated daemon.
#[derive(Clone, Debug)]
enum Op {
    Create { image: u8, group: Option<u8>, infra: bool },
    Start(usize),
    Die(usize),
    Pause(usize),
    Unpause(usize),
    Destroy(usize),
    Rename(usize),
    Health(usize, u8),
    Kill(usize),
}

/// A dockerd that knows its containers and writes the events it would send.
#[derive(Default)]
struct Daemon {
    containers: Vec<(PlacedContainer, bool)>,
    events: Vec<ContainerEvent>,
    /// The listing at each event's time, for resyncs.
    listings: Vec<Vec<PlacedContainer>>,
}

const SECOND: i64 = 1_000_000_000;

impl Daemon {
    fn run(&mut self, op: Op) {
        // 0.4 s apart: some events share a second, none a nanosecond.
        let at = 1_700_000_000 * SECOND + (self.events.len() as i64 + 1) * 400_000_000;
        let alive = |c: &(PlacedContainer, bool)| !c.1;
        let pick = |containers: &Vec<(PlacedContainer, bool)>, i: usize| {
            let alive: Vec<usize> = (0..containers.len()).filter(|&k| alive(&containers[k])).collect();
            (!alive.is_empty()).then(|| alive[i % alive.len()])
        };
        let (index, action) = match op {
            Op::Create { image, group, infra } => {
                let n = self.containers.len();
                let container = PlacedContainer {
                    id: format!("{n:012x}"),
                    name: format!("c{n}"),
                    image: format!("image{image}"),
                    state: "created".into(),
                    health: None,
                    created_at: at / SECOND,
                    infrastructure: infra,
                    group: group.map(|g| format!("svc{g}")),
                    reserved: Reserved::default(),
                };
                self.containers.push((container, false));
                (n, Action::Create)
            }
            Op::Start(i)
            | Op::Die(i)
            | Op::Pause(i)
            | Op::Unpause(i)
            | Op::Destroy(i)
            | Op::Rename(i)
            | Op::Kill(i)
            | Op::Health(i, _) => {
                let Some(k) = pick(&self.containers, i) else { return };
                let c = &mut self.containers[k];
                let state = c.0.state.as_str();
                let action = match op {
                    Op::Start(_) if matches!(state, "created" | "exited") => Action::Start,
                    Op::Die(_) if state == "running" => Action::Die,
                    Op::Pause(_) if state == "running" => Action::Pause,
                    Op::Unpause(_) if state == "paused" => Action::Unpause,
                    Op::Destroy(_) if state != "running" && state != "paused" => Action::Destroy,
                    Op::Rename(_) => Action::Rename,
                    Op::Kill(_) => Action::Other,
                    Op::Health(_, h) if state == "running" => {
                        Action::Health(["healthy", "unhealthy", "starting"][h as usize % 3].into())
                    }
                    _ => return,
                };
                (k, action)
            }
        };
        let c = &mut self.containers[index];
        match &action {
            Action::Start | Action::Unpause => c.0.state = "running".into(),
            Action::Die => c.0.state = "exited".into(),
            Action::Pause => c.0.state = "paused".into(),
            Action::Destroy => c.1 = true,
            Action::Rename => c.0.name = format!("{}r", c.0.name),
            Action::Health(h) => c.0.health = Some(h.clone()),
            _ => {}
        }
        if matches!(action, Action::Start | Action::Die) {
            c.0.health = None;
        }
        self.events.push(ContainerEvent {
            id: c.0.id.clone(),
            action,
            at,
            name: c.0.name.clone(),
            image: c.0.image.clone(),
            infrastructure: c.0.infrastructure,
            group: c.0.group.clone(),
        });
        self.listings.push(self.ps());
    }

    /// `docker ps -a`, in the fold's order.
    fn ps(&self) -> Vec<PlacedContainer> {
        let mut list: Vec<PlacedContainer> = self.containers.iter().filter(|c| !c.1).map(|c| c.0.clone()).collect();
        list.sort_by(|a, b| (a.infrastructure, &a.name, &a.id).cmp(&(b.infrastructure, &b.name, &b.id)));
        list
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3u8, proptest::option::of(0..3u8), proptest::bool::weighted(0.2))
            .prop_map(|(image, group, infra)| Op::Create { image, group, infra }),
        3 => any::<usize>().prop_map(Op::Start),
        2 => any::<usize>().prop_map(Op::Die),
        1 => any::<usize>().prop_map(Op::Pause),
        1 => any::<usize>().prop_map(Op::Unpause),
        2 => any::<usize>().prop_map(Op::Destroy),
        1 => any::<usize>().prop_map(Op::Rename),
        1 => any::<usize>().prop_map(Op::Kill),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, h)| Op::Health(i, h)),
    ]
}

/// Something the fold is fed.
#[derive(Clone, Debug)]
enum Input {
    Event(ContainerEvent),
    Listing(Vec<PlacedContainer>, i64),
}

fn feed(inputs: Vec<Input>) -> Vec<PlacedContainer> {
    let mut fold = Fold::default();
    for input in inputs {
        match input {
            Input::Event(e) => fold.apply(e),
            Input::Listing(list, at) => fold.resync(list, at),
        }
    }
    fold.containers()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every event, in any order, some twice: the fold says what `docker ps -a` says.
    #[test]
    fn events_in_any_order_with_duplicates_converge(
        ops in proptest::collection::vec(op(), 1..60),
        order in any::<u64>(),
        twice in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut daemon = Daemon::default();
        ops.into_iter().for_each(|op| daemon.run(op));
        let mut inputs: Vec<Input> = daemon.events.iter().cloned().map(Input::Event).collect();
        if !daemon.events.is_empty() {
            for i in twice {
                inputs.push(Input::Event(i.get(&daemon.events).clone()));
            }
        }
        shuffle(&mut inputs, order);
        prop_assert_eq!(feed(inputs), daemon.ps());
    }

    /// dockerd restarts: the events of a window are lost, a listing taken after it comes
    /// in anywhere among the rest (which may arrive in any order, some twice, and include
    /// a replay of events the listing already holds).
    #[test]
    fn a_gap_covered_by_a_listing_converges(
        ops in proptest::collection::vec(op(), 1..60),
        gap in (any::<prop::sample::Index>(), 0..20usize),
        listed_after in 0..5usize,
        order in any::<u64>(),
        twice in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut daemon = Daemon::default();
        ops.into_iter().for_each(|op| daemon.run(op));
        prop_assume!(!daemon.events.is_empty());
        let n = daemon.events.len();
        let start = gap.0.index(n);
        let end = (start + gap.1).min(n);
        // The listing is taken at the time of an event at or after the gap's end.
        let listed = (end + listed_after).min(n - 1).max(start);
        let at = daemon.events[listed].at;
        let mut inputs: Vec<Input> = daemon.events[..start]
            .iter()
            .chain(&daemon.events[end..])
            .cloned()
            .map(Input::Event)
            .collect();
        for i in twice {
            inputs.push(Input::Event(i.get(&daemon.events).clone()));
        }
        inputs.push(Input::Listing(daemon.listings[listed].clone(), at));
        shuffle(&mut inputs, order);
        prop_assert_eq!(feed(inputs), daemon.ps());
    }
}

/// A deterministic shuffle (Fisher-Yates over a xorshift), reproducible from the seed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

#[test]
fn a_late_event_of_a_container_gone_before_the_listing_does_not_bring_it_back() {
    let event = |action, at| ContainerEvent {
        id: "a".into(),
        action,
        at,
        name: "web".into(),
        image: "nginx".into(),
        infrastructure: false,
        group: None,
    };
    let mut fold = Fold::default();
    fold.resync(Vec::new(), 100);
    fold.apply(event(Action::Start, 50));
    assert!(fold.containers().is_empty());
    fold.apply(event(Action::Create, 150));
    assert_eq!(fold.containers().len(), 1, "created after the listing");
    fold.apply(event(Action::Destroy, 160));
    fold.apply(event(Action::Start, 155));
    assert!(fold.containers().is_empty(), "destroyed stays destroyed");
}

#[test]
fn actions_and_health_words_are_read() {
    assert_eq!(Action::parse("health_status: healthy"), Action::Health("healthy".into()));
    assert_eq!(Action::parse("exec_start: sh"), Action::Other);
    assert_eq!(health_of("Up 3 minutes (healthy)").as_deref(), Some("healthy"));
    assert_eq!(health_of("Up 1 second (health: starting)").as_deref(), Some("starting"));
    assert_eq!(health_of("Exited (0) 2 minutes ago"), None);
    assert_eq!(health_of("Up 3 minutes (Paused)"), None);
}

#[test]
fn reservations_are_read_once_and_again_after_an_update() {
    let event = |action, at| ContainerEvent {
        id: "a".into(),
        action,
        at,
        name: "web".into(),
        image: "nginx".into(),
        infrastructure: false,
        group: None,
    };
    let mut fold = Fold::default();
    fold.apply(event(Action::Create, 1));
    assert_eq!(fold.unreserved(), vec!["a".to_owned()]);
    fold.reserve("a", Reserved { memory: 256 << 20, millicpu: 500 });
    assert!(fold.unreserved().is_empty());
    assert_eq!(fold.containers()[0].reserved.millicpu, 500);
    fold.apply(event(Action::Update, 2));
    assert_eq!(fold.unreserved(), vec!["a".to_owned()]);
    fold.apply(event(Action::Destroy, 3));
    assert!(fold.unreserved().is_empty(), "nothing to read of a destroyed container");
}
