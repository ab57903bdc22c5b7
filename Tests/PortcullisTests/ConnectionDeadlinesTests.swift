import NIOCore
import Testing
@testable import Portcullis

/// The sweeper's decisions, driven by an explicit clock.
@Suite struct ConnectionDeadlinesTests {
    private var timeouts: TimeoutsConfig {
        var timeouts = TimeoutsConfig()
        timeouts.headerRead = 1_000_000_000
        timeouts.clientIdle = 5_000_000_000
        timeouts.upstreamResponse = 2_000_000_000
        timeouts.upstreamIdle = 3_000_000_000
        return timeouts
    }

    private func at(_ seconds: Double) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + seconds * 1_000_000_000)) }

    @Test func aDribbledHeadExpiresHeaderReadFromWhenItWasFirstSeen() {
        var deadlines = ConnectionDeadlines()
        deadlines.waitingForHead(now: at(0))
        #expect(deadlines.check(now: at(3), phase: .waitingForHead(partialHeadBuffered: false), timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(3.5), phase: .waitingForHead(partialHeadBuffered: true), timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(4.4), phase: .waitingForHead(partialHeadBuffered: true), timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(4.5), phase: .waitingForHead(partialHeadBuffered: true), timeouts: timeouts) == .headerRead)
    }

    @Test func anIdleKeepAliveConnectionExpiresAfterClientIdle() {
        var deadlines = ConnectionDeadlines()
        deadlines.waitingForHead(now: at(10))
        #expect(deadlines.check(now: at(14.9), phase: .waitingForHead(partialHeadBuffered: false), timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(15), phase: .waitingForHead(partialHeadBuffered: false), timeouts: timeouts) == .idleConnection)
    }

    @Test func upstreamResponseThenSilence() {
        var deadlines = ConnectionDeadlines()
        deadlines.requestSent(now: at(0))
        let waiting = ConnectionDeadlines.Phase.exchanging(requestComplete: true, requestSent: true, responseHeadSent: false, upstreamReadHeld: false)
        #expect(deadlines.check(now: at(1.9), phase: waiting, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(2), phase: waiting, timeouts: timeouts) == .upstreamResponse)

        // Once the head came, only silence counts: progress pushes it back.
        let streaming = ConnectionDeadlines.Phase.exchanging(requestComplete: true, requestSent: true, responseHeadSent: true, upstreamReadHeld: false)
        deadlines.upstreamProgressed = true
        #expect(deadlines.check(now: at(2.5), phase: streaming, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(5.4), phase: streaming, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(5.5), phase: streaming, timeouts: timeouts) == .upstreamSilent)
    }

    @Test func readsHeldForASlowClientAreNotTheUpstreamsSilence() {
        var deadlines = ConnectionDeadlines()
        deadlines.requestSent(now: at(0))
        let held = ConnectionDeadlines.Phase.exchanging(requestComplete: true, requestSent: true, responseHeadSent: true, upstreamReadHeld: true)
        for second in stride(from: 0.5, through: 4.5, by: 0.5) {
            #expect(deadlines.check(now: at(second), phase: held, timeouts: timeouts) == nil)
        }
        // The client not reading is its own timeout, and never charged to the upstream.
        deadlines.clientWritabilityChanged(writable: false, now: at(5))
        #expect(deadlines.check(now: at(9.9), phase: held, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(10), phase: held, timeouts: timeouts) == .clientStalled)
    }

    @Test func aClientThatStopsSendingItsBodyStalls() {
        var deadlines = ConnectionDeadlines()
        deadlines.headReceived(now: at(0))
        let uploading = ConnectionDeadlines.Phase.exchanging(requestComplete: false, requestSent: false, responseHeadSent: false, upstreamReadHeld: false)
        deadlines.clientProgressed = true
        #expect(deadlines.check(now: at(1), phase: uploading, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(5.9), phase: uploading, timeouts: timeouts) == nil)
        #expect(deadlines.check(now: at(6), phase: uploading, timeouts: timeouts) == .clientStalled)
    }
}
